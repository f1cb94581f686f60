"use client";

import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useEffect, useId, useRef, useState, type DragEvent } from "react";
import { formatBytes, formatDurationSeconds, formatRate } from "../_lib/format";
import { uploadModelFile, UploadError, type TUploadApi, type TUploadProgress } from "../_lib/upload-model";
import { useTRPC, useTRPCClient } from "../_lib/trpc";
import { getUserMessage } from "../_lib/errors";
import { ErrorAlert } from "./error-alert";
import { ProgressBar } from "./progress-bar";

type TUploadStatus = "uploading" | "validating" | "ready" | "failed" | "canceled";

type TUploadItem = {
  key: string;
  fileName: string;
  sizeBytes: number;
  status: TUploadStatus;
  progress?: TUploadProgress;
  modelId?: string;
  error?: string;
  controller: AbortController;
};

/**
 * Drag-and-drop (or file picker) upload of .onnx files straight to storage, one progress entry per file with
 * percent, MB/s and time left. The server validates each file after the last part; its message is shown here.
 */
export function UploadPanel() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const inputId = useId();
  const hintId = useId();
  const [items, setItems] = useState<TUploadItem[]>([]);
  const [dragActive, setDragActive] = useState(false);
  const dragDepth = useRef(0);

  const updateItem = useCallback((key: string, patch: Partial<TUploadItem>) => {
    setItems((prev) => prev.map((it) => (it.key === key ? { ...it, ...patch } : it)));
  }, []);

  const api: TUploadApi = {
    createUpload: async (input) => {
      const created = await client.models.createUpload.mutate(input);
      return { modelId: created.modelId, partBytes: created.partBytes, partCount: created.partCount };
    },
    signUploadParts: async (input) => (await client.models.signUploadParts.mutate(input)).parts,
    completeUpload: (input) => client.models.completeUpload.mutate(input),
  };

  const startUpload = (file: File) => {
    const key = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const controller = new AbortController();
    setItems((prev) => [{ key, fileName: file.name, sizeBytes: file.size, status: "uploading", controller }, ...prev]);
    const refreshModels = () => void queryClient.invalidateQueries(trpc.models.list.pathFilter());
    uploadModelFile(file, {
      api,
      signal: controller.signal,
      onCreated: (modelId) => {
        updateItem(key, { modelId });
        refreshModels();
      },
      onProgress: (progress) =>
        updateItem(key, { progress, status: progress.phase === "validating" || progress.phase === "done" ? "validating" : "uploading" }),
    })
      .then(() => updateItem(key, { status: "ready" }))
      .catch((err: unknown) => {
        const canceled = controller.signal.aborted;
        updateItem(key, {
          status: canceled ? "canceled" : "failed",
          error: err instanceof UploadError ? err.message : getUserMessage(err),
        });
      })
      .finally(refreshModels);
  };

  const onFiles = (files: FileList | null) => {
    if (!files) return;
    for (const file of Array.from(files)) startUpload(file);
  };

  // Leaving the page must not leave XHRs running for a page nobody sees.
  const itemsRef = useRef(items);
  useEffect(() => {
    itemsRef.current = items;
  }, [items]);
  useEffect(() => () => itemsRef.current.forEach((it) => it.controller.abort()), []);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    dragDepth.current = 0;
    setDragActive(false);
    onFiles(e.dataTransfer.files);
  };

  return (
    <section className="card" aria-labelledby={`${inputId}-title`}>
      <h2 id={`${inputId}-title`}>Upload a model</h2>
      <div
        className={`dropzone${dragActive ? " dropzone--active" : ""}`}
        data-testid="dropzone"
        onDragEnter={(e) => {
          e.preventDefault();
          dragDepth.current += 1;
          setDragActive(true);
        }}
        onDragOver={(e) => e.preventDefault()}
        onDragLeave={() => {
          dragDepth.current -= 1;
          if (dragDepth.current <= 0) setDragActive(false);
        }}
        onDrop={onDrop}
      >
        <span className="dropzone__title">Drop .onnx files here</span>
        <span id={hintId} className="small">
          Files go straight to storage in parts; large models (several GB) are fine.
        </span>
        <input
          id={inputId}
          className="visually-hidden"
          type="file"
          accept=".onnx"
          multiple
          aria-describedby={hintId}
          data-testid="model-file-input"
          onChange={(e) => {
            onFiles(e.target.files);
            e.target.value = "";
          }}
        />
        {/* After the input so that the input's keyboard focus can be shown on this visible "button". */}
        <label htmlFor={inputId} className="button button--secondary">
          Choose files…
        </label>
      </div>
      {items.map((item) => (
        <UploadItemView key={item.key} item={item} onCancel={() => item.controller.abort()} onDismiss={() => setItems((prev) => prev.filter((it) => it.key !== item.key))} />
      ))}
    </section>
  );
}

function UploadItemView({ item, onCancel, onDismiss }: { item: TUploadItem; onCancel: () => void; onDismiss: () => void }) {
  const p = item.progress;
  const fraction = p && p.totalBytes > 0 ? p.sentBytes / p.totalBytes : 0;
  const etaSeconds = p && p.bytesPerSecond > 0 ? (p.totalBytes - p.sentBytes) / p.bytesPerSecond : undefined;
  const active = item.status === "uploading" || item.status === "validating";
  return (
    <div className="upload-item" data-testid="upload-item" data-status={item.status}>
      <div className="upload-item__head">
        <strong className="mono">{item.fileName}</strong>
        <span className="actions">
          <span className="muted small">{formatBytes(item.sizeBytes)}</span>
          {item.status === "uploading" ? (
            <button type="button" className="button button--ghost" onClick={onCancel}>
              Cancel
            </button>
          ) : !active ? (
            <button type="button" className="button button--ghost" onClick={onDismiss} aria-label={`Dismiss ${item.fileName}`}>
              Dismiss
            </button>
          ) : null}
        </span>
      </div>
      {active ? (
        <ProgressBar
          value={fraction}
          label={`Upload of ${item.fileName}`}
          left={
            item.status === "validating"
              ? "Checking the model…"
              : `${Math.round(fraction * 100)}% · ${formatBytes(p?.sentBytes ?? 0)} of ${formatBytes(item.sizeBytes)}`
          }
          right={
            item.status === "uploading"
              ? `${formatRate(p?.bytesPerSecond ?? 0)}${etaSeconds !== undefined ? ` · ${formatDurationSeconds(etaSeconds)} left` : ""}${p?.retriedParts ? ` · ${p.retriedParts} part retries` : ""}`
              : undefined
          }
        />
      ) : null}
      {item.status === "ready" ? (
        <div className="alert alert--success" role="status">
          Uploaded and validated.{" "}
          {item.modelId ? <Link href={`/models/${item.modelId}`}>Open {item.fileName}</Link> : null}
        </div>
      ) : null}
      {item.status === "failed" ? <ErrorAlert title={`Upload of ${item.fileName} failed`} message={item.error ?? "unknown error"} /> : null}
      {item.status === "canceled" ? (
        <div className="alert alert--info" role="status">
          Upload canceled.
        </div>
      ) : null}
    </div>
  );
}
