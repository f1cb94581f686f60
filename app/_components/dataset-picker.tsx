"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState } from "react";
import { formatBytes, formatPercent } from "../_lib/format";
import { getUserMessage } from "../_lib/errors";
import { useTRPC, useTRPCClient } from "../_lib/trpc";
import { uploadModelFile, UploadError, type TUploadApi, type TUploadProgress } from "../_lib/upload-model";
import { ProgressBar } from "./progress-bar";

/** File types a dataset upload accepts (datasets.createUpload checks the same list). */
const DATASET_ACCEPT = ".npy,.npz,.pb,.zip,.tar";

/**
 * Picks the calibration or evaluation data of a new job: one of the workspace's ready datasets, or a new file
 * uploaded here with progress (straight to storage, validated by the server, then selected). Empty = generated
 * inputs from the model's signature, which the report then says.
 */
export function DatasetPicker({
  role,
  value,
  onChange,
  disabled,
  scope,
}: {
  role: "calibration" | "evaluation";
  value: string;
  onChange: (datasetId: string) => void;
  disabled?: boolean;
  /** Names a second picker on the same page apart (e.g. "tune"): its label and test ids carry the scope. */
  scope?: string;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const ids = { select: useId(), hint: useId(), file: useId() };
  const datasets = useQuery(trpc.datasets.list.queryOptions({ limit: 100, state: "ready" }));
  const [progress, setProgress] = useState<TUploadProgress | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const controller = useRef<AbortController | null>(null);

  // The browser uploader speaks "modelId"; datasets use the same multipart protocol under their own procedures.
  const api: TUploadApi = {
    createUpload: async (input) => {
      const created = await client.datasets.createUpload.mutate(input);
      return { modelId: created.datasetId, partBytes: created.partBytes, partCount: created.partCount };
    },
    signUploadParts: async (input) => (await client.datasets.signUploadParts.mutate({ datasetId: input.modelId, partNumbers: input.partNumbers })).parts,
    completeUpload: (input) => client.datasets.completeUpload.mutate({ datasetId: input.modelId, parts: input.parts }),
  };

  const upload = async (file: File) => {
    setUploadError(null);
    controller.current = new AbortController();
    try {
      const { modelId: datasetId } = await uploadModelFile(file, { api, signal: controller.current.signal, onProgress: setProgress });
      await queryClient.invalidateQueries(trpc.datasets.list.pathFilter());
      onChange(datasetId);
    } catch (err) {
      setUploadError(err instanceof UploadError ? err.message : getUserMessage(err));
    } finally {
      setProgress(null);
      controller.current = null;
    }
  };

  const baseLabel = role === "calibration" ? "Calibration data" : "Evaluation data";
  const label = scope ? `${scope[0]!.toUpperCase()}${scope.slice(1)} ${baseLabel.toLowerCase()}` : baseLabel;
  const testKey = scope ? `${scope}-${role}` : role;
  const selected = datasets.data?.items.find((d) => d.id === value);
  const uploading = progress !== null;
  return (
    <div className="field" data-testid={`dataset-picker-${testKey}`}>
      <label htmlFor={ids.select}>{label} (optional)</label>
      <div className="actions">
        <select
          id={ids.select}
          className="input"
          value={value}
          disabled={disabled || uploading}
          aria-describedby={ids.hint}
          onChange={(e) => onChange(e.target.value)}
        >
          <option value="">Generated from the model&apos;s inputs</option>
          {(datasets.data?.items ?? []).map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} · {d.summary?.sampleCount ?? "?"} samples · {formatBytes(d.sizeBytes)}
            </option>
          ))}
        </select>
        <input
          id={ids.file}
          className="visually-hidden"
          type="file"
          accept={DATASET_ACCEPT}
          disabled={disabled || uploading}
          data-testid={`dataset-file-${testKey}`}
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = "";
            if (file) void upload(file);
          }}
        />
        <label htmlFor={ids.file} className="button button--secondary">
          Upload data…
        </label>
      </div>
      <span className="field__hint" id={ids.hint}>
        {role === "calibration"
          ? "Representative inputs for static quantization: .npy, .npz (arrays named like the inputs), .pb, or a .zip/.tar bundle."
          : "Inputs (and optional integer labels) to measure fidelity and accuracy on."}
      </span>
      {uploading ? (
        <ProgressBar
          value={progress.totalBytes > 0 ? progress.sentBytes / progress.totalBytes : 0}
          label={`Upload of ${label.toLowerCase()}`}
          left={progress.phase === "validating" || progress.phase === "done" ? "Checking the data…" : `${formatPercent(progress.totalBytes > 0 ? progress.sentBytes / progress.totalBytes : 0)} of ${formatBytes(progress.totalBytes)}`}
        />
      ) : null}
      {selected?.summary ? (
        <span className="small muted" data-testid={`dataset-summary-${testKey}`}>
          {selected.summary.format}: {selected.summary.tensors.map((t) => `${t.name} ${t.dtype}[${t.shape.join("×")}]`).join(", ")}
          {selected.summary.hasLabels ? " · with labels" : ""}
        </span>
      ) : null}
      {uploadError ? (
        <span className="field__error" role="alert">
          {uploadError}
        </span>
      ) : null}
    </div>
  );
}
