/**
 * Upload throughput through the embedded stack (`condense serve`: PGlite + s3rver + web), compared with a plain file
 * copy on the same disk in the same run. Builds a valid ONNX model of the requested size (one large initializer),
 * uploads it with the typed client (presigned multipart, 4 parts in flight), and times:
 *   - the part transfers, and the whole upload including the server's SHA-256 + ONNX validation pass;
 *   - `copyFile` + fsync of the same file.
 * Usage: npx tsx bench/upload-bench.ts [--size-mib 1024]
 */
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createCondenseClient } from "../client/index";
import { DTYPE } from "../worker/onnx/dtypes";
import { createEmptyGraphProto, createEmptyTensorProto, createNodeProto, createTensorValueInfo } from "../worker/onnx/index";
import { encodeModelParts } from "../worker/onnx/model-io";
import { findFreePort } from "./bench-io";

const sizeMiB = Number(process.argv[process.argv.indexOf("--size-mib") + 1] || 1024) || 1024;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const work = await mkdtemp(path.join(root, ".cache", "upload-bench-"));
const modelPath = path.join(work, "big.onnx");

async function writeBigModel(): Promise<number> {
  const graph = createEmptyGraphProto("big");
  graph.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [1, 4]));
  graph.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [1, 4]));
  graph.node.push(createNodeProto("Identity", ["x"], ["y"], { name: "identity" }));
  const elements = (sizeMiB * 1024 * 1024) / 4;
  // Deterministic, incompressible-ish bytes so no layer can cheat by compressing.
  const raw = new Uint8Array(elements * 4);
  let seed = 0x9e3779b9;
  const view = new Uint32Array(raw.buffer);
  for (let i = 0; i < view.length; i++) {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    view[i] = seed >>> 0;
  }
  graph.initializer.push({ ...createEmptyTensorProto("blob"), dims: [elements], dataType: DTYPE.FLOAT, rawData: raw });
  const parts = encodeModelParts({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "upload-bench",
    graph,
    metadataProps: [],
    trainingInfo: [],
    functions: [],
  });
  const handle = await open(modelPath, "w");
  let total = 0;
  for (const part of parts) {
    await handle.write(part);
    total += part.byteLength;
  }
  await handle.sync();
  await handle.close();
  return total;
}

const sizeBytes = await writeBigModel();
const [port, pgPort, s3Port] = [await findFreePort(), await findFreePort(), await findFreePort()];
const dataDir = path.join(work, "data");
await mkdir(dataDir);
const serve = spawn(process.execPath, [path.join(root, "bin", "condense.mjs"), "serve", "--no-worker", "--no-build", "--port", String(port)], {
  env: { ...process.env, DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), EMBEDDED_S3_PORT: String(s3Port), MAX_UPLOAD_BYTES: String(64 * 1024 ** 3), LOG_LEVEL: "warn" },
  stdio: ["ignore", "inherit", "inherit"],
});
const baseUrl = `http://127.0.0.1:${port}`;
try {
  for (let i = 0; ; i++) {
    const ok = await fetch(`${baseUrl}/api/health`).then((r) => r.ok).catch(() => false);
    if (ok) break;
    if (i > 240) throw new Error("the platform did not start within 120 s");
    await new Promise((r) => setTimeout(r, 500));
  }
  const anon = createCondenseClient({ baseUrl });
  const { token } = await anon.api.auth.signUp.mutate({ email: `bench-${Date.now()}@example.com`, password: "bench-password-1" });
  const client = createCondenseClient({ baseUrl, sessionToken: token });

  let partsDoneAtMs = 0;
  const startedAtMs = performance.now();
  const model = await client.uploadModel(modelPath, {
    onProgress: ({ sentBytes, totalBytes }) => {
      if (sentBytes === totalBytes) partsDoneAtMs = performance.now();
    },
  });
  const uploadMs = performance.now() - startedAtMs;
  const partsMs = (partsDoneAtMs || performance.now()) - startedAtMs;
  if (model.state !== "ready") throw new Error(`upload ended in state ${model.state}: ${model.error}`);

  const copyPath = path.join(work, "copy.onnx");
  const copyStartedAtMs = performance.now();
  await copyFile(modelPath, copyPath);
  const h = await open(copyPath, "r+");
  await h.sync();
  await h.close();
  const copyMs = performance.now() - copyStartedAtMs;

  const mib = sizeBytes / 1024 ** 2;
  const rows = [
    ["plain file copy (copyFile + fsync)", copyMs],
    ["upload: part transfers (presigned multipart, 4 in flight)", partsMs],
    ["upload: whole (parts + complete + SHA-256 + ONNX validation)", uploadMs],
  ] as const;
  const table = [
    `Upload throughput, ${mib.toFixed(0)} MiB model, embedded stack (PGlite + s3rver) on ${os.cpus().length} cores`,
    "",
    "| path | seconds | MiB/s | vs copy |",
    "| --- | ---: | ---: | ---: |",
    ...rows.map(([name, ms]) => `| ${name} | ${(ms / 1000).toFixed(1)} | ${(mib / (ms / 1000)).toFixed(0)} | ${(ms / copyMs).toFixed(1)}× |`),
    "",
  ].join("\n");
  console.log(table);
  await mkdir(path.join(root, "bench", "results"), { recursive: true });
  await writeFile(path.join(root, "bench", "results", "upload.md"), table);
} finally {
  serve.kill("SIGTERM");
  await new Promise((r) => serve.once("exit", r));
  await rm(work, { recursive: true, force: true });
}
