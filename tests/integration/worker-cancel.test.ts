import { afterAll, beforeAll, expect, test } from "vitest";
import {
  buildAnalyzePipeline,
  buildJobPrefix,
  killWorker,
  listKeys,
  LONG_JOB_PIPELINE,
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
  kit = await startWorkerKit("worker-cancel");
});

afterAll(async () => {
  await killWorker(worker);
  await kit?.stop();
});

/** What the API's jobs.cancel does: one guarded UPDATE straight in the database. */
async function cancelJob(jobId: string): Promise<number> {
  const now = new Date();
  const res = await kit.prisma.job.updateMany({
    where: { id: jobId, state: { in: ["queued", "running"] } },
    data: { state: "canceled", cancelRequestedAt: now, finishedAt: now },
  });
  return res.count;
}

/** State of the job's pg-boss deliveries, to see that a worker consumed them. */
async function readDeliveryStates(jobId: string): Promise<string[]> {
  const rows = await kit.prisma.$queryRawUnsafe<{ state: string }[]>(
    `SELECT state::text AS state FROM pgboss.job WHERE name = 'condense-jobs' AND data->>'jobId' = $1`,
    jobId,
  );
  return rows.map((r) => r.state);
}

test("a job canceled while queued is never run: its delivery is acknowledged and nothing is written", async () => {
  const jobId = await kit.createJob(buildAnalyzePipeline(3));
  expect(await cancelJob(jobId)).toBe(1);

  worker = spawnWorker(kit, ["--id", "cancel"]);
  await waitFor(() => readDeliveryStates(jobId), (s) => s.length === 1 && s[0] === "completed", 60_000, "the delivery to be consumed");

  const job = await kit.prisma.job.findUniqueOrThrow({ where: { id: jobId }, include: { artifacts: true } });
  expect(job.state).toBe("canceled");
  expect(job.attempts).toBe(0);
  expect(job.startedAt).toBeNull();
  expect(job.workerId).toBeNull();
  expect(job.artifacts).toEqual([]);
  expect(await listKeys(kit.store, buildJobPrefix(kit.workspaceId, jobId))).toEqual([]);
});

test("a job canceled while running stops within seconds and leaves no artifacts, rows or objects", async () => {
  worker ??= spawnWorker(kit, ["--id", "cancel"]);
  const jobId = await kit.createJob(LONG_JOB_PIPELINE);
  // Wait until the pipeline is measurably under way (progress past the download share).
  await waitFor(
    () => kit.prisma.job.findUniqueOrThrow({ where: { id: jobId } }),
    (j) => j.state === "running" && j.progress > 0.1,
    60_000,
    "the job to be running",
  );
  const canceledAt = Date.now();
  expect(await cancelJob(jobId)).toBe(1);

  const stopped = await worker.waitForLog((l) => l.jobId === jobId && l.msg === "job stopped", 30_000);
  const stopMs = Date.now() - canceledAt;
  console.log(`cancel → worker stopped the job after ${stopMs} ms`);
  expect(stopped.reason).toBe("canceled");
  expect(stopMs).toBeLessThan(10_000);

  const job = await kit.prisma.job.findUniqueOrThrow({ where: { id: jobId }, include: { artifacts: true } });
  expect(job.state).toBe("canceled");
  expect(job.progress).toBeLessThan(1);
  expect(job.artifacts).toEqual([]);
  expect(await listKeys(kit.store, buildJobPrefix(kit.workspaceId, jobId))).toEqual([]);

  // The worker is free again: a new job still runs to completion.
  const nextId = await kit.createJob(buildAnalyzePipeline(2));
  const next = await waitForJobToFinish(kit, nextId, 60_000, "the next job to finish");
  expect(next.state).toBe("succeeded");
});
