/**
 * The embedded platform's own timings (issue 2's "Done means"), measured against a real `condense serve` child:
 *   - start-up: from launching `condense serve` (what `npm start` runs) to the ready banner and to /api/ready
 *     answering, on a fresh data folder (embedded PostgreSQL created + all migrations) and on a restart of the same
 *     folder. The portal build is not part of either: it happens once per checkout (`.next/` is kept), and the
 *     bench says when it had to build.
 *   - pickup: from `jobs.create` to the worker claiming the job (the job's `startedAt − createdAt`, both written by
 *     the database clock), for jobs created one at a time while the worker is idle, and for a burst created at once.
 * Usage: npx tsx bench/platform-bench.ts [--jobs 20] [--burst 10]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createCondenseClient, type TCondenseClient, type TJob } from "../client/index";
import { buildWebApp, checkWebBuild } from "../server/start/build-web-app";
import { computePercentile } from "../worker/evaluate/measure-latency";
import { encodeModel } from "../worker/onnx/model-io";
import { buildConvNet } from "../worker/passes/quantize/testing/build-models";
import { readListFlag } from "./bench-args";
import { findFreePort } from "./bench-io";

const sequentialJobCount = Number(readListFlag(process.argv, "jobs")?.[0] ?? 20);
const burstJobCount = Number(readListFlag(process.argv, "burst")?.[0] ?? 10);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
await mkdir(path.join(root, ".cache"), { recursive: true });
const work = await mkdtemp(path.join(root, ".cache", "platform-bench-"));
const dataDir = path.join(work, "data");

type TStart = { child: ChildProcess; baseUrl: string; bannerMs: number; readyMs: number };

/** Launches `condense serve` on `dataDir` and waits until the banner is printed and /api/ready answers 200. */
async function startServe(): Promise<TStart> {
  const [port, pgPort, s3Port] = [await findFreePort(), await findFreePort(), await findFreePort()];
  const launchedAt = performance.now();
  const child = spawn(process.execPath, [path.join(root, "bin", "condense.mjs"), "serve", "--port", String(port)], {
    env: { ...process.env, DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), EMBEDDED_S3_PORT: String(s3Port), LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let bannerMs = 0;
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (!bannerMs && output.includes("Condense is running at")) bannerMs = performance.now() - launchedAt;
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`condense serve exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${baseUrl}/api/ready`).then((r) => r.ok).catch(() => false);
    if (ready && bannerMs) break;
    if (performance.now() - launchedAt > 600_000) throw new Error(`the platform did not start within 10 minutes:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, baseUrl, bannerMs, readyMs: performance.now() - launchedAt };
}

async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
}

function pickupMs(job: TJob): number {
  if (!job.startedAt) throw new Error(`job ${job.id} has no startedAt (state ${job.state})`);
  return Date.parse(job.startedAt) - Date.parse(job.createdAt);
}

/** Polls a job until the worker has claimed it (startedAt set), then until it ends. */
async function waitForEnd(client: TCondenseClient, jobId: string): Promise<TJob> {
  const job = await client.waitForJob(jobId, { pollMs: 50 });
  if (job.state !== "succeeded") throw new Error(`job ${job.id} ended ${job.state}: ${job.error ?? ""}`);
  return job;
}

function summarize(values: number[]): { median: number; p95: number; max: number } {
  return { median: computePercentile(values, 50), p95: computePercentile(values, 95), max: Math.max(...values) };
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

let current: ChildProcess | undefined;
// The portal build happens once per checkout (first start, or after its sources change): done here, timed apart.
const buildMs = (await checkWebBuild()) === "fresh" ? 0 : (await buildWebApp()).durationMs;
try {
  const cold = await startServe();
  current = cold.child;
  await stopServe(cold.child);
  const warm = await startServe();
  current = warm.child;

  const anon = createCondenseClient({ baseUrl: warm.baseUrl });
  const { token } = await anon.api.auth.signUp.mutate({ email: `platform-bench-${Date.now()}@example.com`, password: "bench-password-1" });
  const client = createCondenseClient({ baseUrl: warm.baseUrl, sessionToken: token });
  const modelPath = path.join(work, "convnet.onnx");
  await writeFile(modelPath, encodeModel(buildConvNet()));
  const model = await client.uploadModel(modelPath);
  if (model.state !== "ready") throw new Error(`upload ended ${model.state}`);

  // One warm-up job: the worker's first job loads onnxruntime and the engine modules.
  await waitForEnd(client, (await client.createJob({ modelId: model.id, preset: "analyze" })).id);

  const sequentialPickups: number[] = [];
  const sequentialTotals: number[] = [];
  for (let i = 0; i < sequentialJobCount; i++) {
    const created = await client.createJob({ modelId: model.id, preset: "analyze" });
    const ended = await waitForEnd(client, created.id);
    sequentialPickups.push(pickupMs(ended));
    sequentialTotals.push(Date.parse(ended.finishedAt!) - Date.parse(ended.createdAt));
  }
  const burst = await Promise.all(Array.from({ length: burstJobCount }, () => client.createJob({ modelId: model.id, preset: "analyze" })));
  const burstEnded = await Promise.all(burst.map((job) => waitForEnd(client, job.id)));
  const burstFirstPickup = Math.min(...burstEnded.map(pickupMs));
  const burstDrainMs = Math.max(...burstEnded.map((j) => Date.parse(j.finishedAt!))) - Math.min(...burstEnded.map((j) => Date.parse(j.createdAt)));

  const pick = summarize(sequentialPickups);
  const total = summarize(sequentialTotals);
  const table = [
    `# Platform timings (\`npm run bench:platform\`)`,
    "",
    `${new Date().toISOString().slice(0, 10)} · ${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores · Node ${process.version} · embedded stack (PGlite + s3rver + one worker) as \`npm start\` runs it.`,
    `Start-up is measured from launching \`condense serve\` to its ready banner and to /api/ready answering 200. The portal build happens once per checkout, before either start: ${buildMs ? `this run built it first, in ${fmt(buildMs)}` : "this run found it built"}.`,
    "",
    "| what | figure |",
    "| --- | ---: |",
    `| start-up, fresh data folder (creates the database, runs all migrations): banner | ${fmt(cold.bannerMs)} |`,
    `| start-up, fresh data folder: /api/ready | ${fmt(cold.readyMs)} |`,
    `| start-up, restart on the same data folder: banner | ${fmt(warm.bannerMs)} |`,
    `| start-up, restart on the same data folder: /api/ready | ${fmt(warm.readyMs)} |`,
    `| job created → claimed by the idle worker, median of ${sequentialJobCount} | ${fmt(pick.median)} |`,
    `| job created → claimed, p95 / max | ${fmt(pick.p95)} / ${fmt(pick.max)} |`,
    `| job created → succeeded (analyze of a small conv net), median | ${fmt(total.median)} |`,
    `| burst of ${burstJobCount} jobs created at once: first claim | ${fmt(burstFirstPickup)} |`,
    `| burst of ${burstJobCount} jobs: first created → last succeeded (one worker) | ${fmt(burstDrainMs)} |`,
    "",
  ].join("\n");
  console.log(table);
  await mkdir(path.join(root, "bench", "results"), { recursive: true });
  await writeFile(path.join(root, "bench", "results", "platform.md"), table);
} finally {
  if (current) await stopServe(current);
  await rm(work, { recursive: true, force: true });
}
