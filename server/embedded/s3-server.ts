import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { spawnReadyChild, stopChild } from "./spawn-ts-child";

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "s3rver-main.ts");

export type TEmbeddedS3 = { endpoint: string; port: number; bucket: string; stop: () => Promise<void>; process: ChildProcess };

/**
 * Starts s3rver in a child process bound to 127.0.0.1 and resolves once it listens.
 * Port 0 picks a free port. The bucket is created with a CORS rule so browsers can PUT presigned parts.
 * Rejects with a one-line message when the port is taken.
 */
export async function startEmbeddedS3(opts: { port: number; directory: string; bucket: string }): Promise<TEmbeddedS3> {
  const { child, status } = await spawnReadyChild<{ ready?: boolean; error?: string; port: number }>({
    entry: ENTRY,
    // ListObjectsV2 pagination in s3rver needs the legacy OpenSSL provider (see RECIPE.md).
    nodeFlags: ["--openssl-legacy-provider"],
    env: { ...process.env, S3RVER_PORT: String(opts.port), S3RVER_DIR: opts.directory, S3RVER_BUCKET: opts.bucket },
    name: "embedded S3 server",
    startTimeoutMs: 60_000,
  });
  return {
    endpoint: `http://127.0.0.1:${status.port}`,
    port: status.port,
    bucket: opts.bucket,
    process: child,
    stop: () => stopChild(child),
  };
}
