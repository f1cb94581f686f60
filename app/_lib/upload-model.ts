/**
 * Browser side of the presigned multipart upload: the file goes straight from the browser to storage in parts,
 * the API only signs part URLs and validates the result. No React here, so the flow is testable in Node.
 *
 * createUpload → signUploadParts (in batches, as parts are needed) → PUT each part (Blob.slice) → ETags → completeUpload.
 */

/** The three API calls the uploader needs; the portal passes tRPC procedures, tests pass fakes. */
export type TUploadApi = {
  createUpload: (input: { name: string; sizeBytes: number }) => Promise<{ modelId: string; partBytes: number; partCount: number }>;
  signUploadParts: (input: { modelId: string; partNumbers: number[] }) => Promise<ReadonlyArray<{ partNumber: number; url: string }>>;
  completeUpload: (input: { modelId: string; parts: Array<{ partNumber: number; etag: string }> }) => Promise<unknown>;
  /** Parts storage already holds for an interrupted upload (models.listUploadParts); needed for `resume`. */
  listUploadParts?: (input: { modelId: string }) => Promise<{
    sizeBytes: number;
    partBytes: number;
    partCount: number;
    listed: boolean;
    parts: ReadonlyArray<{ partNumber: number; etag: string }>;
  }>;
};

/** A part storage accepted, as remembered for a resume. */
export type TUploadedPart = { partNumber: number; etag: string };

/** PUTs one part and resolves with the ETag storage returned. `onProgress` gets bytes sent so far for this part. */
export type TPutPart = (url: string, body: Blob, onProgress: (loadedBytes: number) => void, signal: AbortSignal) => Promise<string>;

export type TUploadPhase = "starting" | "uploading" | "validating" | "done";

export type TUploadProgress = {
  phase: TUploadPhase;
  sentBytes: number;
  totalBytes: number;
  /** Recent throughput over the last few seconds, 0 until measurable. */
  bytesPerSecond: number;
  /** Parts that needed a retry so far (shown so a flaky network is visible, not hidden). */
  retriedParts: number;
};

export type TUploadOptions = {
  api: TUploadApi;
  /** Defaults to an XMLHttpRequest PUT, the only browser API with upload progress events. */
  putPart?: TPutPart;
  /** Parts in flight at once. */
  concurrency?: number;
  /** Retries of one failed part (each with a freshly signed URL) before the upload gives up. */
  maxRetries?: number;
  /** Base delay of the exponential backoff between retries. */
  retryDelayMs?: number;
  onProgress?: (progress: TUploadProgress) => void;
  signal?: AbortSignal;
  /** Called once createUpload returned, so the UI can link the model while bytes are still moving. */
  onCreated?: (modelId: string) => void;
  /**
   * Continue an interrupted upload of the same file instead of creating a new one: parts storage lists (or, when
   * it cannot list parts, the `knownParts` the page remembered) are not sent again.
   */
  resume?: { modelId: string; knownParts?: readonly TUploadedPart[] };
  /** Called after each part is stored, so the page can remember it for a resume after a reload. */
  onPart?: (part: TUploadedPart) => void;
};

/** A failure the page can show as-is. */
export class UploadError extends Error {
  readonly modelId?: string;
  constructor(message: string, opts: { modelId?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "UploadError";
    this.modelId = opts.modelId;
  }
}

const RATE_WINDOW_MS = 3000;
const SIGN_BATCH_PARTS = 8;

/**
 * Uploads a file as a new model and resolves once the server accepted it (completeUpload succeeded).
 * Throws UploadError with a user-readable message: the server's validation message, or which part failed and why.
 */
export async function uploadModelFile(file: Blob & { name: string }, opts: TUploadOptions): Promise<{ modelId: string }> {
  const putPart = opts.putPart ?? putPartWithXhr;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const maxRetries = opts.maxRetries ?? 3;
  const retryDelayMs = opts.retryDelayMs ?? 500;
  const signal = opts.signal ?? new AbortController().signal;
  const totalBytes = file.size;

  const loadedByPart = new Map<number, number>();
  const samples: Array<{ atMs: number; sentBytes: number }> = [];
  let retriedParts = 0;
  let phase: TUploadPhase = "starting";

  const sentBytes = () => {
    let sum = 0;
    for (const v of loadedByPart.values()) sum += v;
    return sum;
  };
  const emit = () => {
    const now = Date.now();
    const sent = sentBytes();
    samples.push({ atMs: now, sentBytes: sent });
    while (samples.length > 2 && now - samples[0].atMs > RATE_WINDOW_MS) samples.shift();
    const first = samples[0];
    const elapsedMs = now - first.atMs;
    const bytesPerSecond = elapsedMs >= 200 ? ((sent - first.sentBytes) * 1000) / elapsedMs : 0;
    opts.onProgress?.({ phase, sentBytes: sent, totalBytes, bytesPerSecond: Math.max(0, bytesPerSecond), retriedParts });
  };

  emit();
  const results: Array<{ partNumber: number; etag: string }> = [];
  let created: { modelId: string; partBytes: number; partCount: number };
  if (opts.resume) {
    if (!opts.api.listUploadParts) throw new UploadError("this uploader cannot resume uploads");
    let stored;
    try {
      stored = await opts.api.listUploadParts({ modelId: opts.resume.modelId });
    } catch (err) {
      throw new UploadError(errorMessage(err), { modelId: opts.resume.modelId, cause: err });
    }
    if (stored.sizeBytes !== totalBytes) {
      throw new UploadError(`this file is ${totalBytes} bytes but the interrupted upload was ${stored.sizeBytes} bytes: start a new upload`, { modelId: opts.resume.modelId });
    }
    created = { modelId: opts.resume.modelId, partBytes: stored.partBytes, partCount: stored.partCount };
    const done = stored.listed ? stored.parts : (opts.resume.knownParts ?? []);
    for (const p of done) {
      if (p.partNumber < 1 || p.partNumber > stored.partCount || results.some((r) => r.partNumber === p.partNumber)) continue;
      results.push({ partNumber: p.partNumber, etag: p.etag });
      loadedByPart.set(p.partNumber, Math.min(stored.partBytes, totalBytes - (p.partNumber - 1) * stored.partBytes));
    }
  } else {
    created = await opts.api.createUpload({ name: file.name, sizeBytes: totalBytes });
  }
  const { modelId, partBytes, partCount } = created;
  opts.onCreated?.(modelId);
  throwIfAborted(signal, modelId);
  phase = "uploading";
  emit();

  // Part URLs are signed a batch at a time, as they are needed: URLs for a multi-GB file signed up front
  // could expire before the last parts are sent.
  const signedBatches = new Map<number, Promise<Map<number, string>>>();
  const signBatch = (batchIndex: number) => {
    let pending = signedBatches.get(batchIndex);
    if (!pending) {
      const first = batchIndex * SIGN_BATCH_PARTS + 1;
      const partNumbers: number[] = [];
      for (let p = first; p < first + SIGN_BATCH_PARTS && p <= partCount; p++) partNumbers.push(p);
      pending = opts.api
        .signUploadParts({ modelId, partNumbers })
        .then((urls) => new Map(urls.map((u) => [u.partNumber, u.url])));
      // A failed signing must not poison the cache: the next attempt asks again.
      pending.catch(() => signedBatches.delete(batchIndex));
      signedBatches.set(batchIndex, pending);
    }
    return pending;
  };
  const signOne = async (partNumber: number, fresh: boolean): Promise<string> => {
    if (fresh) {
      const [signed] = await opts.api.signUploadParts({ modelId, partNumbers: [partNumber] });
      if (!signed) throw new Error(`no URL signed for part ${partNumber}`);
      return signed.url;
    }
    const urls = await signBatch(Math.floor((partNumber - 1) / SIGN_BATCH_PARTS));
    const url = urls.get(partNumber);
    if (!url) throw new Error(`no URL signed for part ${partNumber}`);
    return url;
  };

  const uploadPart = async (partNumber: number): Promise<{ partNumber: number; etag: string }> => {
    const start = (partNumber - 1) * partBytes;
    const body = file.slice(start, Math.min(start + partBytes, totalBytes));
    let lastError: unknown;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      throwIfAborted(signal, modelId);
      if (attempt > 0) {
        retriedParts += 1;
        await sleep(retryDelayMs * 2 ** (attempt - 1), signal);
      }
      loadedByPart.set(partNumber, 0);
      emit();
      try {
        const url = await signOne(partNumber, attempt > 0);
        // A cancel while the URL was being signed must stop here: the PUT would otherwise start on an aborted signal.
        throwIfAborted(signal, modelId);
        const etag = await putPart(url, body, (loaded) => {
          loadedByPart.set(partNumber, Math.min(loaded, body.size));
          emit();
        }, signal);
        loadedByPart.set(partNumber, body.size);
        emit();
        opts.onPart?.({ partNumber, etag });
        return { partNumber, etag };
      } catch (err) {
        if (signal.aborted) throw new UploadError("upload canceled", { modelId, cause: err });
        lastError = err;
      }
    }
    loadedByPart.set(partNumber, 0);
    throw new UploadError(
      `part ${partNumber} of ${partCount} failed after ${maxRetries + 1} attempts: ${errorMessage(lastError)}. Check your connection and try again.`,
      { modelId, cause: lastError },
    );
  };

  const missing: number[] = [];
  for (let n = 1; n <= partCount; n++) if (!results.some((r) => r.partNumber === n)) missing.push(n);
  let nextIndex = 0;
  let failure: unknown;
  const runWorker = async () => {
    while (failure === undefined && nextIndex < missing.length) {
      const partNumber = missing[nextIndex++]!;
      try {
        results.push(await uploadPart(partNumber));
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, missing.length) }, runWorker));
  if (failure !== undefined) throw failure;

  throwIfAborted(signal, modelId);
  phase = "validating";
  emit();
  results.sort((a, b) => a.partNumber - b.partNumber);
  try {
    await opts.api.completeUpload({ modelId, parts: results });
  } catch (err) {
    throw new UploadError(errorMessage(err), { modelId, cause: err });
  }
  phase = "done";
  emit();
  return { modelId };
}

/** PUTs a part with XMLHttpRequest (fetch has no upload progress) and returns the ETag response header. */
export function putPartWithXhr(url: string, body: Blob, onProgress: (loadedBytes: number) => void, signal: AbortSignal): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    // An "abort" listener added to an already aborted signal never fires: check first.
    if (signal.aborted) {
      reject(new Error("upload canceled"));
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      signal.removeEventListener("abort", onAbort);
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(new Error(`storage answered HTTP ${xhr.status}`));
        return;
      }
      const etag = xhr.getResponseHeader("ETag");
      // Without ExposeHeaders: ETag in the bucket's CORS rule the browser hides the header.
      if (!etag) reject(new Error("storage did not expose the part's ETag (bucket CORS must expose ETag)"));
      else resolve(etag);
    };
    xhr.onerror = () => {
      signal.removeEventListener("abort", onAbort);
      reject(new Error("network error while sending the part"));
    };
    xhr.onabort = () => reject(new Error("upload canceled"));
    signal.addEventListener("abort", onAbort, { once: true });
    xhr.send(body);
  });
}

function throwIfAborted(signal: AbortSignal, modelId: string) {
  if (signal.aborted) throw new UploadError("upload canceled", { modelId });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
