/** Measurement helpers shared by the bench scripts: uncached disk reads, synced writes, runtime warm-up, free ports. */
import { execFile } from "node:child_process";
import { closeSync, constants as FS, openSync, readFileSync, readSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodeModel } from "../worker/onnx/model-io";
import { buildConvNet } from "../worker/passes/quantize/testing/build-models";
import { createInferenceSession } from "../worker/runtime/ort";
import type { TBenchCaseResult } from "./bench-case";

const DIRECT_IO_ALIGN = 4096;
const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** One case may calibrate, factorize and evaluate a 10 MB model on 2 cores: generous, but a hung case must not stall the run. */
const CASE_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * Runs one bench case (bench/bench-case.ts) in its own process, so its peak RSS and onnxruntime threads belong to
 * it alone; `overrides` is the JSON of option overrides. A crash or timeout is a failed row, not a thrown error.
 */
export function runBenchCaseInChild(model: string, preset: string, overrides?: string): Promise<TBenchCaseResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--expose-gc", "--import", "tsx", path.join(ROOT, "bench", "bench-case.ts"), model, preset, ...(overrides ? [overrides] : [])],
      { cwd: ROOT, timeout: CASE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const line = stdout.trim().split("\n").pop() ?? "";
        try {
          resolve(JSON.parse(line) as TBenchCaseResult);
        } catch {
          const why = err ? (err.killed ? "timed out" : err.message.split("\n")[0]) : "no result";
          resolve({ model, preset: overrides ? `${preset} ${overrides}` : preset, ok: false, error: `${why} ${stderr.trim().split("\n").pop() ?? ""}`.trim() });
        }
      },
    );
  });
}

/**
 * Reads a file with O_DIRECT, so the time is the disk's, not the page cache's (a fixture read moments ago sits in
 * the cache). O_DIRECT needs an aligned buffer address, which JS cannot ask for: probe the buffer offsets until the
 * kernel accepts one. Falls back to a cached read where O_DIRECT is refused (`cached: true`).
 */
export function readFileDirect(file: string): { ms: number; cached: boolean } {
  const size = statSync(file).size;
  const t0 = performance.now();
  let fd: number;
  try {
    fd = openSync(file, FS.O_RDONLY | FS.O_DIRECT);
  } catch {
    readFileSync(file);
    return { ms: performance.now() - t0, cached: true };
  }
  try {
    const len = Math.ceil(size / DIRECT_IO_ALIGN) * DIRECT_IO_ALIGN;
    const buf = Buffer.allocUnsafeSlow(len + DIRECT_IO_ALIGN);
    let offset = -1;
    for (let k = 0; k < DIRECT_IO_ALIGN && offset < 0; k += 16) {
      try {
        readSync(fd, buf, k, DIRECT_IO_ALIGN, 0);
        offset = k;
      } catch {
        // not aligned: try the next offset
      }
    }
    if (offset < 0) return { ms: performance.now() - t0, cached: true };
    for (let pos = 0; pos < size; ) {
      const n = readSync(fd, buf, offset + pos, Math.min(1 << 22, len - pos), pos);
      if (n <= 0) break;
      pos += n;
    }
    return { ms: performance.now() - t0, cached: false };
  } finally {
    closeSync(fd);
  }
}

/** Writes the parts and fsyncs (the bytes are on disk, not just in the page cache); returns the wall time. */
export async function writeFileSynced(file: string, parts: Uint8Array | readonly Uint8Array[]): Promise<number> {
  const t0 = performance.now();
  const fh = await open(file, "w");
  try {
    for (const p of parts instanceof Uint8Array ? [parts] : parts) await fh.write(p);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return performance.now() - t0;
}

/** Loads onnxruntime's native library and thread pools (one tiny session run), so an RSS baseline includes them. */
export async function loadRuntime(): Promise<void> {
  const s = await createInferenceSession(encodeModel(buildConvNet()));
  await s.run({ x: { type: "float32", dims: [1, 3, 16, 16], data: new Float32Array(3 * 16 * 16) } });
  await s.release();
  (globalThis as { gc?: () => void }).gc?.();
}

/** A TCP port free on 127.0.0.1 right now (for a child server). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
