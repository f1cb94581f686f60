import type { TApi, TModel } from "./index";

/** A file path (Node), bytes, or a Blob/File (browser). */
export type TUploadSource = string | Uint8Array | Blob;
export type TUploadProgress = { sentBytes: number; totalBytes: number };

export type TUploadOptions = {
  /** Model name; defaults to the file name. */
  name?: string;
  onProgress?: (progress: TUploadProgress) => void;
  /** Parts in flight at once (default 4). Memory use is about concurrency × part size. */
  concurrency?: number;
  /** Retries per part after the first attempt (default 3). */
  retries?: number;
  signal?: AbortSignal;
  /** fetch used for the part PUTs (defaults to the client's, then the global one). */
  fetch?: typeof fetch;
};

type TOpenedSource = {
  name: string;
  sizeBytes: number;
  readPart: (offset: number, length: number) => Promise<Uint8Array>;
  close: () => Promise<void>;
};

async function openSource(source: TUploadSource): Promise<TOpenedSource> {
  if (typeof source === "string") {
    // Loaded lazily so browser bundles of this module never see node:fs.
    const { open } = await import("node:fs/promises");
    const { basename } = await import("node:path");
    const handle = await open(source, "r");
    const { size } = await handle.stat();
    return {
      name: basename(source),
      sizeBytes: size,
      // One part in memory at a time per slot: multi-GB files never load whole.
      readPart: async (offset, length) => {
        const buffer = new Uint8Array(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
          if (bytesRead === 0) throw new Error(`${source} shrank while uploading`);
          filled += bytesRead;
        }
        return buffer;
      },
      close: () => handle.close(),
    };
  }
  if (source instanceof Uint8Array) {
    return { name: "model.onnx", sizeBytes: source.byteLength, readPart: async (o, l) => source.subarray(o, o + l), close: async () => {} };
  }
  const name = (source as Blob & { name?: string }).name ?? "model.onnx";
  return {
    name,
    sizeBytes: source.size,
    readPart: async (o, l) => new Uint8Array(await source.slice(o, o + l).arrayBuffer()),
    close: async () => {},
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/**
 * Uploads a model straight to storage: createUpload, then parts PUT in parallel to presigned URLs (each part
 * re-signed and retried with backoff on failure), then completeUpload, which hashes and validates it.
 * Resolves to the ready model; rejects with the server's user-readable message when validation fails.
 */
export async function uploadModel(api: TApi, source: TUploadSource, opts: TUploadOptions = {}): Promise<TModel> {
  const opened = await openSource(source);
  try {
    const upload = await api.models.createUpload.mutate({ name: opts.name ?? opened.name, sizeBytes: opened.sizeBytes });
    const retries = opts.retries ?? 3;
    const fetchPart = opts.fetch ?? globalThis.fetch;
    const etags = new Map<number, string>();
    let sentBytes = 0;
    opts.onProgress?.({ sentBytes, totalBytes: opened.sizeBytes });

    const sendPart = async (partNumber: number): Promise<void> => {
      const offset = (partNumber - 1) * upload.partBytes;
      const length = Math.min(upload.partBytes, opened.sizeBytes - offset);
      const bytes = await opened.readPart(offset, length);
      for (let attempt = 0; ; attempt++) {
        try {
          // A fresh URL per attempt: a retry after expiry or a storage hiccup just works.
          const { parts } = await api.models.signUploadParts.mutate({ modelId: upload.modelId, partNumbers: [partNumber] });
          const res = await fetchPart(parts[0]!.url, { method: "PUT", body: bytes as BodyInit, signal: opts.signal });
          if (!res.ok) throw new Error(`storage answered ${res.status} for part ${partNumber}`);
          const etag = res.headers.get("etag");
          if (!etag) throw new Error("storage did not expose the ETag header (check the bucket's CORS ExposeHeaders)");
          etags.set(partNumber, etag);
          sentBytes += length;
          opts.onProgress?.({ sentBytes, totalBytes: opened.sizeBytes });
          return;
        } catch (err) {
          if (opts.signal?.aborted || attempt >= retries) throw err;
          await sleep(250 * 2 ** attempt, opts.signal);
        }
      }
    };

    let next = 1;
    let failed = false;
    const worker = async (): Promise<void> => {
      try {
        while (!failed && next <= upload.partCount) await sendPart(next++);
      } catch (err) {
        // Stop the other slots from starting new parts; the model stays "uploading" and can be retried.
        failed = true;
        throw err;
      }
    };
    const slots = Math.max(1, Math.min(opts.concurrency ?? 4, upload.partCount));
    await Promise.all(Array.from({ length: slots }, worker));

    const parts = [...etags.entries()].sort((a, b) => a[0] - b[0]).map(([partNumber, etag]) => ({ partNumber, etag }));
    return await api.models.completeUpload.mutate({ modelId: upload.modelId, parts });
  } finally {
    await opened.close();
  }
}
