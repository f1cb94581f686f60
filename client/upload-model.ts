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
  /**
   * Resume an interrupted upload of the same file: parts storage already holds (models.listUploadParts) are not
   * sent again. `knownParts` are ETags the caller kept (used when storage cannot list parts).
   */
  resume?: { modelId: string; knownParts?: TUploadedPart[] };
  /** Called with the upload's id once it exists, so a caller can remember it for a later resume. */
  onStart?: (upload: { id: string; partBytes: number; partCount: number }) => void;
  /** Called after each part is stored, with its ETag (persist it to resume without ListParts). */
  onPart?: (part: TUploadedPart) => void;
};

export type TUploadedPart = { partNumber: number; etag: string };

/** The three calls of a multipart upload, for models or datasets. */
export type TMultipartTarget<T> = {
  create: (input: { name: string; sizeBytes: number }) => Promise<{ id: string; partBytes: number; partCount: number }>;
  sign: (id: string, partNumbers: number[]) => Promise<{ parts: Array<{ partNumber: number; url: string }> }>;
  complete: (id: string, parts: TUploadedPart[]) => Promise<T>;
  /** Parts already stored for an upload being resumed. */
  listParts?: (id: string) => Promise<{ partBytes: number; partCount: number; sizeBytes: number; listed: boolean; parts: TUploadedPart[] }>;
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
 * Runs a multipart upload against any target: create (or resume), parts PUT in parallel to presigned URLs (each
 * part re-signed and retried with backoff on failure), then complete, which hashes and validates on the server.
 */
export async function uploadMultipart<T>(target: TMultipartTarget<T>, source: TUploadSource, opts: TUploadOptions = {}): Promise<T> {
  const opened = await openSource(source);
  try {
    const etags = new Map<number, string>();
    let upload: { id: string; partBytes: number; partCount: number };
    if (opts.resume && target.listParts) {
      const stored = await target.listParts(opts.resume.modelId);
      if (stored.sizeBytes !== opened.sizeBytes) {
        throw new Error(`this file is ${opened.sizeBytes} bytes but the interrupted upload was ${stored.sizeBytes} bytes: start a new upload`);
      }
      upload = { id: opts.resume.modelId, partBytes: stored.partBytes, partCount: stored.partCount };
      const parts = stored.listed ? stored.parts : (opts.resume.knownParts ?? []);
      for (const p of parts) if (p.partNumber >= 1 && p.partNumber <= stored.partCount) etags.set(p.partNumber, p.etag);
    } else {
      upload = await target.create({ name: opts.name ?? opened.name, sizeBytes: opened.sizeBytes });
    }
    opts.onStart?.(upload);
    const retries = opts.retries ?? 3;
    const fetchPart = opts.fetch ?? globalThis.fetch;
    const partLength = (n: number) => Math.min(upload.partBytes, opened.sizeBytes - (n - 1) * upload.partBytes);
    let sentBytes = [...etags.keys()].reduce((sum, n) => sum + partLength(n), 0);
    opts.onProgress?.({ sentBytes, totalBytes: opened.sizeBytes });

    const sendPart = async (partNumber: number): Promise<void> => {
      const offset = (partNumber - 1) * upload.partBytes;
      const length = partLength(partNumber);
      const bytes = await opened.readPart(offset, length);
      for (let attempt = 0; ; attempt++) {
        try {
          // A fresh URL per attempt: a retry after expiry or a storage hiccup just works.
          const { parts } = await target.sign(upload.id, [partNumber]);
          const res = await fetchPart(parts[0]!.url, { method: "PUT", body: bytes as BodyInit, signal: opts.signal });
          if (!res.ok) throw new Error(`storage answered ${res.status} for part ${partNumber}`);
          const etag = res.headers.get("etag");
          if (!etag) throw new Error("storage did not expose the ETag header (check the bucket's CORS ExposeHeaders)");
          etags.set(partNumber, etag);
          opts.onPart?.({ partNumber, etag });
          sentBytes += length;
          opts.onProgress?.({ sentBytes, totalBytes: opened.sizeBytes });
          return;
        } catch (err) {
          if (opts.signal?.aborted || attempt >= retries) throw err;
          await sleep(250 * 2 ** attempt, opts.signal);
        }
      }
    };

    const missing = Array.from({ length: upload.partCount }, (_, i) => i + 1).filter((n) => !etags.has(n));
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      try {
        while (!failed && next < missing.length) await sendPart(missing[next++]!);
      } catch (err) {
        // Stop the other slots from starting new parts; the upload stays open and can be resumed.
        failed = true;
        throw err;
      }
    };
    const slots = Math.max(1, Math.min(opts.concurrency ?? 4, missing.length));
    await Promise.all(Array.from({ length: slots }, worker));

    const parts = [...etags.entries()].sort((a, b) => a[0] - b[0]).map(([partNumber, etag]) => ({ partNumber, etag }));
    return await target.complete(upload.id, parts);
  } finally {
    await opened.close();
  }
}

/**
 * Uploads a model straight to storage (see uploadMultipart); with `resume` only the parts storage lacks are sent.
 * Resolves to the ready model; rejects with the server's user-readable message when validation fails.
 */
export async function uploadModel(api: TApi, source: TUploadSource, opts: TUploadOptions = {}): Promise<TModel> {
  return uploadMultipart<TModel>(
    {
      create: async (input) => {
        const u = await api.models.createUpload.mutate(input);
        return { id: u.modelId, partBytes: u.partBytes, partCount: u.partCount };
      },
      sign: (id, partNumbers) => api.models.signUploadParts.mutate({ modelId: id, partNumbers }),
      complete: (id, parts) => api.models.completeUpload.mutate({ modelId: id, parts }),
      listParts: (id) => api.models.listUploadParts.query({ modelId: id }),
    },
    source,
    opts,
  );
}
