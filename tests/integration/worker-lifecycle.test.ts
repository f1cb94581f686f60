import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ZReport } from "../../contracts";
import { enqueueJob, stopJobQueue } from "../../server/queue/job-queue";
import { getObjectBytes } from "../../server/storage/object-store";
import {
  buildAnalyzePipeline,
  buildJobPrefix,
  killWorker,
  listKeys,
  spawnWorker,
  startWorkerKit,
  waitFor,
  type TWorkerKit,
  type TWorkerProcess,
  waitForJobToFinish,
} from "./worker-test-kit";

let kit: TWorkerKit;
let worker: TWorkerProcess | undefined;

beforeAll(async () => {
  kit = await startWorkerKit("worker-lifecycle");
  worker = spawnWorker(kit, ["--id", "lifecycle"]);
  await worker.waitForLog((l) => l.msg === "worker started");
});

afterAll(async () => {
  await killWorker(worker);
  await kit?.stop();
});

test("a queued analyze job is run by a worker process and publishes report.json with matching Artifact rows", async () => {
  const jobId = await kit.createJob(buildAnalyzePipeline(5));
  const job = await waitForJobToFinish(kit, jobId, 120_000, "the job to finish");
  expect(job.error).toBeNull();
  expect(job.state).toBe("succeeded");
  expect(job.attempts).toBe(1);
  expect(job.progress).toBe(1);
  expect(job.workerId).toMatch(/^lifecycle-[0-9a-f]{6}$/);
  expect(job.startedAt).not.toBeNull();
  expect(job.finishedAt).not.toBeNull();
  expect(job.startedAt!.getTime()).toBeGreaterThanOrEqual(job.createdAt.getTime());
  expect(job.finishedAt!.getTime()).toBeGreaterThanOrEqual(job.startedAt!.getTime());

  const reportRow = job.artifacts.find((a) => a.name === "report.json");
  expect(reportRow, "report.json artifact row").toBeDefined();
  expect(reportRow!.attempt).toBe(1);
  expect(reportRow!.storageKey.startsWith(`${buildJobPrefix(kit.workspaceId, jobId)}attempt-1-`)).toBe(true);

  // The stored bytes are exactly what the row claims.
  const bytes = await getObjectBytes(kit.store, reportRow!.storageKey);
  expect(BigInt(bytes.byteLength)).toBe(reportRow!.sizeBytes);
  expect(createHash("sha256").update(bytes).digest("hex")).toBe(reportRow!.sha256);

  // And it is a real analysis of the uploaded model.
  const report = ZReport.parse(JSON.parse(new TextDecoder().decode(bytes)));
  expect(report.original.sizeBytes).toBe(kit.modelBytes.byteLength);
  expect(report.original.latencyMs?.runs).toBe(5);
  expect(report.original.latencyMs?.p50).toBeGreaterThan(0);

  // Job.result summarises the same report.
  const result = job.result as { original: { sizeBytes: number }; artifacts: { name: string }[] };
  expect(result.original.sizeBytes).toBe(kit.modelBytes.byteLength);
  expect(result.artifacts.map((a) => a.name)).toContain("report.json");

  // Nothing else was left in storage for this job.
  expect(await listKeys(kit.store, buildJobPrefix(kit.workspaceId, jobId))).toEqual(job.artifacts.map((a) => a.storageKey).sort());
});

test("an idle worker picks up new jobs quickly (creation → startedAt, median of 5)", async () => {
  const pickupMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const jobId = await kit.createJob(buildAnalyzePipeline(1));
    const job = await waitForJobToFinish(kit, jobId, 60_000, "the job to finish");
    expect(job.state).toBe("succeeded");
    pickupMs.push(job.startedAt!.getTime() - job.createdAt.getTime());
  }
  pickupMs.sort((a, b) => a - b);
  const medianMs = pickupMs[2];
  console.log(`job pickup latency ms (sorted): ${pickupMs.join(", ")}; median ${medianMs}`);
  // Bound, not a benchmark: a 0.5 s polling interval must not turn into multi-second waits.
  expect(medianMs).toBeLessThan(3000);
});

test("enqueueJob, the API's entry point (process-wide queue on DATABASE_URL), hands a Job row to the worker", async () => {
  process.env.DATABASE_URL = kit.stack.databaseUrl;
  try {
    const job = await kit.prisma.job.create({ data: { workspaceId: kit.workspaceId, modelId: kit.modelId, pipeline: buildAnalyzePipeline(2) } });
    await enqueueJob(job.id);
    await enqueueJob(job.id); // a duplicate send (an API retry) must not run the job twice
    const done = await waitForJobToFinish(kit, job.id, 60_000, "the job to finish");
    expect(done.state).toBe("succeeded");
    expect(done.attempts).toBe(1);
    await worker!.waitForLog((l) => l.jobId === job.id && l.msg === "job succeeded");
    expect(worker!.logs.filter((l) => l.jobId === job.id && l.msg === "job claimed")).toHaveLength(1);
  } finally {
    await stopJobQueue();
  }
});

test("a job whose pipeline is invalid fails once with a user-readable error and is not retried", async () => {
  const job = await kit.prisma.job.create({
    data: { workspaceId: kit.workspaceId, modelId: kit.modelId, pipeline: { steps: [{ pass: "analyze", options: { latencyRuns: 0 } }] } },
  });
  await kit.queue.enqueue(job.id);
  const done = await waitFor(
    () => kit.prisma.job.findUniqueOrThrow({ where: { id: job.id }, include: { artifacts: true } }),
    (j) => j.state !== "queued" && j.state !== "running",
    60_000,
    "the job to fail",
  );
  expect(done.state).toBe("failed");
  expect(done.error).toMatch(/^invalid pipeline: steps\[0\]\.options\.latencyRuns: /);
  expect(done.attempts).toBe(1);
  expect(done.finishedAt).not.toBeNull();
  expect(done.artifacts).toEqual([]);
  expect(await listKeys(kit.store, buildJobPrefix(kit.workspaceId, job.id))).toEqual([]);
});

test("a model that is not ONNX fails the job with the engine's user message, once, with nothing published", async () => {
  const notOnnx = await kit.addModel("holiday.onnx", new TextEncoder().encode("GIF89a this is a picture, not a model"));
  const jobId = await kit.createJob(buildAnalyzePipeline(3), { modelId: notOnnx });
  const job = await waitFor(
    () => kit.prisma.job.findUniqueOrThrow({ where: { id: jobId }, include: { artifacts: true } }),
    (j) => j.state !== "queued" && j.state !== "running",
    60_000,
    "the job to fail",
  );
  expect(job.state).toBe("failed");
  expect(job.error).toMatch(/not an ONNX model|truncated|malformed/i);
  expect(job.error).not.toMatch(/internal error/);
  expect(job.attempts).toBe(1);
  expect(job.artifacts).toEqual([]);
  expect(await listKeys(kit.store, buildJobPrefix(kit.workspaceId, jobId))).toEqual([]);
});

test("`condense worker` without DATABASE_URL / S3_ENDPOINT, or with a bad value, exits 2 with one clear line", async () => {
  const missing = spawnWorker(kit, [], { DATABASE_URL: "", S3_ENDPOINT: "" });
  const bad = spawnWorker(kit, [], { WORKER_LEASE_SECONDS: "soon" });
  const badFlag = spawnWorker(kit, ["--concurrency", "zero"]);
  expect(await missing.exited).toBe(2);
  expect(missing.stderr().trim()).toBe(
    "condense: invalid config: the worker needs DATABASE_URL and S3_ENDPOINT (a standalone worker has no embedded database or storage)",
  );
  expect(await bad.exited).toBe(2);
  expect(bad.stderr().trim()).toMatch(/^condense: invalid config WORKER_LEASE_SECONDS: .+$/);
  expect(await badFlag.exited).toBe(2);
  expect(badFlag.stderr()).toContain("--concurrency must be a whole number from 1 to 64");
});

test("the worker logged no warnings or errors while running these jobs", () => {
  // pino levels: 40 warn, 50 error. A failing reaper, heartbeat or pg-boss would show up here.
  expect(worker!.logs.filter((l) => typeof l.level === "number" && l.level >= 40)).toEqual([]);
});
