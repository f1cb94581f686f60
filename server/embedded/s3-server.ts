import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "s3rver-main.ts");

export type TEmbeddedS3 = { endpoint: string; port: number; bucket: string; stop: () => Promise<void>; process: ChildProcess };

/**
 * Starts s3rver in a child process bound to 127.0.0.1 and resolves once it listens.
 * Port 0 picks a free port. The bucket is created with a CORS rule so browsers can PUT presigned parts.
 */
export async function startEmbeddedS3(opts: { port: number; directory: string; bucket: string }): Promise<TEmbeddedS3> {
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "--import", "tsx", ENTRY], {
    env: { ...process.env, S3RVER_PORT: String(opts.port), S3RVER_DIR: opts.directory, S3RVER_BUCKET: opts.bucket },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error("embedded S3 server did not start within 30 s")), 30_000);
    lines.on("line", (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; port?: number };
        if (msg.ready && msg.port) {
          clearTimeout(timer);
          resolve(msg.port);
        }
      } catch {
        // not our status line
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded S3 server exited with code ${code} (is port ${opts.port} in use?)`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket: opts.bucket,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
