import type { TApi } from "./index";

export type TDownloadProgress = { receivedBytes: number; totalBytes: number };
export type TDownloadOptions = {
  onProgress?: (progress: TDownloadProgress) => void;
  signal?: AbortSignal;
  /** fetch used for the download (defaults to the client's, then the global one). */
  fetch?: typeof fetch;
};
export type TDownloadResult = { path: string; sizeBytes: number; sha256: string };

/**
 * Downloads an artifact to `destPath` (Node only). Bytes go to a temporary file next to it, are hashed on the
 * way, and the file is renamed into place only when size and SHA-256 match what the job published.
 */
export async function downloadArtifact(
  api: TApi,
  jobId: string,
  name: string,
  destPath: string,
  opts: TDownloadOptions = {},
): Promise<TDownloadResult> {
  const { createWriteStream } = await import("node:fs");
  const { rename, rm } = await import("node:fs/promises");
  const { createHash, randomBytes } = await import("node:crypto");
  const { once } = (await import("node:events")).EventEmitter;

  const link = await api.jobs.getArtifactUrl.query({ jobId, name });
  const res = await (opts.fetch ?? globalThis.fetch)(link.url, { signal: opts.signal });
  if (!res.ok || !res.body) throw new Error(`download of ${name} failed: storage answered ${res.status}`);

  const tmpPath = `${destPath}.${randomBytes(6).toString("hex")}.part`;
  const out = createWriteStream(tmpPath);
  const hash = createHash("sha256");
  let receivedBytes = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      receivedBytes += chunk.byteLength;
      if (!out.write(chunk)) await once(out, "drain");
      opts.onProgress?.({ receivedBytes, totalBytes: link.sizeBytes });
    }
    out.end();
    await once(out, "finish");
    const sha256 = hash.digest("hex");
    if (receivedBytes !== link.sizeBytes || sha256 !== link.sha256) {
      throw new Error(`download of ${name} is corrupt: got ${receivedBytes} bytes (sha256 ${sha256}), expected ${link.sizeBytes} (${link.sha256})`);
    }
    await rename(tmpPath, destPath);
    return { path: destPath, sizeBytes: receivedBytes, sha256 };
  } catch (err) {
    out.destroy();
    await rm(tmpPath, { force: true });
    throw err;
  }
}
