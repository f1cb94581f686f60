"use client";

import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useEffect, useId, useRef, useState, type DragEvent } from "react";
import { formatBytes, formatDurationSeconds, formatRate } from "../_lib/format";
import { addPendingUploadPart, findPendingUpload, forgetPendingUpload, rememberPendingUpload, type TPendingUpload } from "../_lib/pending-uploads";
import { uploadModelFile, UploadError, type TUploadApi, type TUploadProgress } from "../_lib/upload-model";
import { useTRPC, useTRPCClient } from "../_lib/trpc";
import { getUserMessage } from "../_lib/errors";
import { ErrorAlert } from "./error-alert";
import { ProgressBar } from "./progress-bar";

type TUploadStatus = "interrupted" | "uploading" | "validating" | "ready" | "failed" | "canceled";

type TUploadItem = {
  key: string;
  fileName: string;
  sizeBytes: number;
  status: TUploadStatus;
  progress?: TUploadProgress;
  modelId?: string;
  error?: string;
  controller: AbortController;
  /** The dropped file, kept while it waits for "Resume" / "Start over". */
  file?: File;
  /** The interrupted upload this file matches (same name, size and lastModified). */
  pending?: TPendingUpload;
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
    listUploadParts: (input) => client.models.listUploadParts.query(input),
  };

  /**
   * Uploads a file; with `resume` continues that interrupted upload (only missing parts are sent). The upload is
   * remembered in localStorage until it succeeds, so a reload or a lost network can be resumed.
   */
  const startUpload = (file: File, resume?: TPendingUpload, existingKey?: string) => {
    const key = existingKey ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const controller = new AbortController();
    const fresh: TUploadItem = { key, fileName: file.name, sizeBytes: file.size, status: "uploading", controller, modelId: resume?.modelId };
    setItems((prev) => (existingKey ? prev.map((it) => (it.key === key ? fresh : it)) : [fresh, ...prev]));
    const refreshModels = () => void queryClient.invalidateQueries(trpc.models.list.pathFilter());
    let uploadId = resume?.modelId;
    uploadModelFile(file, {
      api,
      signal: controller.signal,
      resume: resume ? { modelId: resume.modelId, knownParts: resume.parts } : undefined,
      onPart: (part) => {
        if (uploadId) addPendingUploadPart(uploadId, part);
      },
      onCreated: (modelId) => {
        uploadId = modelId;
        if (!resume) {
          rememberPendingUpload({ modelId, fileName: file.name, sizeBytes: file.size, lastModified: file.lastModified, parts: [], startedAtMs: Date.now() });
        }
        updateItem(key, { modelId });
        refreshModels();
      },
      onProgress: (progress) =>
        updateItem(key, { progress, status: progress.phase === "validating" || progress.phase === "done" ? "validating" : "uploading" }),
    })
      .then(() => {
        if (uploadId) forgetPendingUpload(uploadId);
        updateItem(key, { status: "ready" });
      })
      .catch((err: unknown) => {
        const canceled = controller.signal.aborted;
        // Kept for a later resume, unless the server says this upload is over (validated and failed, or finished).
        if (uploadId && /not accepting uploads|failed validation|not a valid|is not an ONNX/i.test(err instanceof Error ? err.message : "")) {
          forgetPendingUpload(uploadId);
        }
        updateItem(key, {
          status: canceled ? "canceled" : "failed",
          error: err instanceof UploadError ? err.message : getUserMessage(err),
        });
      })
      .finally(refreshModels);
  };

  const onFiles = (files: FileList | null) => {
    if (!files) return;
    for (const file of Array.from(files)) {
      const pending = findPendingUpload(file);
      if (!pending) {
        startUpload(file);
        continue;
      }
      const key = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
      setItems((prev) => [
        { key, fileName: file.name, sizeBytes: file.size, status: "interrupted", controller: new AbortController(), file, pending, modelId: pending.modelId },
        ...prev,
      ]);
    }
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
        <UploadItemView
          key={item.key}
          item={item}
          onCancel={() => item.controller.abort()}
          onDismiss={() => setItems((prev) => prev.filter((it) => it.key !== item.key))}
          onResume={() => item.file && item.pending && startUpload(item.file, item.pending, item.key)}
          onStartOver={() => {
            if (!item.file) return;
            if (item.pending) forgetPendingUpload(item.pending.modelId);
            startUpload(item.file, undefined, item.key);
          }}
        />
      ))}
    </section>
  );
}

function UploadItemView({
  item,
  onCancel,
  onDismiss,
  onResume,
  onStartOver,
}: {
  item: TUploadItem;
  onCancel: () => void;
  onDismiss: () => void;
  onResume: () => void;
  onStartOver: () => void;
}) {
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
          {item.status === "interrupted" ? (
            <>
              <button type="button" className="button" onClick={onResume} data-testid="upload-resume">
                Resume
              </button>
              <button type="button" className="button button--ghost" onClick={onStartOver}>
                Start over
              </button>
            </>
          ) : item.status === "uploading" ? (
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
      {item.status === "interrupted" && item.pending ? (
        <div className="alert alert--info" role="status" data-testid="upload-interrupted">
          An upload of this file was interrupted ({item.pending.parts.length} part{item.pending.parts.length === 1 ? "" : "s"} already stored). Resume
          sends only the missing parts.
        </div>
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
