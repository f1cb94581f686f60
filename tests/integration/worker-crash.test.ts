import { afterAll, beforeAll, expect, test } from "vitest";
import {
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
let first: TWorkerProcess | undefined;
let second: TWorkerProcess | undefined;

beforeAll(async () => {
  kit = await startWorkerKit("worker-crash");
});

afterAll(async () => {
  await killWorker(first);
  await killWorker(second);
  await kit?.stop();
});

type TDelivery = { id: string; state: string };
async function readDeliveries(jobId: string): Promise<TDelivery[]> {
  return kit.prisma.$queryRawUnsafe<TDelivery[]>(
    `SELECT id::text AS id, state::text AS state FROM pgboss.job WHERE name = 'condense-jobs' AND data->>'jobId' = $1 ORDER BY created_on`,
    jobId,
  );
}

test("a worker SIGKILLed mid-job: another worker retries it after the lease lapses and exactly one set of artifacts is published", async () => {
  first = spawnWorker(kit, ["--id", "doomed"]);
  await first.waitForLog((l) => l.msg === "worker started");
  const jobId = await kit.createJob(LONG_JOB_PIPELINE);
  await waitFor(
    () => kit.prisma.job.findUniqueOrThrow({ where: { id: jobId } }),
    (j) => j.state === "running" && j.progress > 0.1,
    60_000,
    "the first worker to be mid-job",
  );
  first.child.kill("SIGKILL");
  await first.exited;

  // pg-boss still thinks the dead worker holds the delivery. Make pg-boss expire it *now* (its real expiry code):
  // the expired delivery is retried by pg-boss, a second delivery of the same job next to the reaper's.
  // The claim guard must keep that from becoming a second run.
  const [dead] = await readDeliveries(jobId);
  expect(dead.state).toBe("active");
  await kit.prisma.$executeRawUnsafe(`UPDATE pgboss.job SET started_on = now() - interval '2 days' WHERE id = $1::uuid`, dead.id);
  await kit.queue.boss.expire();
  expect((await readDeliveries(jobId)).find((d) => d.id === dead.id)?.state).toBe("retry");

  // Two slots, so a duplicate delivery would be fetched while the retry runs.
  second = spawnWorker(kit, ["--id", "rescuer", "--concurrency", "2"]);
  const job = await waitForJobToFinish(kit, jobId, 120_000, "the retried job to finish");
  expect(job.error).toBeNull();
  expect(job.state).toBe("succeeded");
  expect(job.attempts).toBe(2);
  expect(job.workerId).toMatch(/^rescuer-/);
  expect(job.progress).toBe(1);

  // Exactly one set: one report.json, all rows from attempt 2, and storage holds exactly those objects.
  expect(job.artifacts.map((a) => a.name)).toEqual(["report.json"]);
  expect(job.artifacts.every((a) => a.attempt === 2)).toBe(true);
  expect(await listKeys(kit.store, buildJobPrefix(kit.workspaceId, jobId))).toEqual(job.artifacts.map((a) => a.storageKey).sort());

  // Every delivery (the reaper's, pg-boss's retry of the dead one) is consumed, and only one of them ran the job.
  await waitFor(() => readDeliveries(jobId), (ds) => ds.length >= 2 && ds.every((d) => d.state === "completed"), 60_000, "all deliveries to be consumed");
  const claims = second.logs.filter((l) => l.jobId === jobId && l.msg === "job claimed");
  expect(claims).toHaveLength(1);
  const after = await kit.prisma.job.findUniqueOrThrow({ where: { id: jobId }, include: { artifacts: true } });
  expect(after.attempts).toBe(2);
  expect(after.finishedAt).toEqual(job.finishedAt);
  expect(after.artifacts.map((a) => a.id)).toEqual(job.artifacts.map((a) => a.id));
});

test("a job whose workers keep dying fails after JOB_MAX_ATTEMPTS with a clear error", async () => {
  await killWorker(second);
  const jobId = await kit.createJob(LONG_JOB_PIPELINE);
  // Simulate two earlier attempts whose workers died, and a third that has just gone silent.
  await kit.prisma.$executeRawUnsafe(
    `UPDATE "Job" SET state = 'running', attempts = 3, "workerId" = 'ghost-000000', "startedAt" = now() AT TIME ZONE 'UTC',
       "heartbeatAt" = (now() AT TIME ZONE 'UTC') - interval '1 minute' WHERE id = $1`,
    jobId,
  );
  second = spawnWorker(kit, ["--id", "reaper"]);
  const job = await waitFor(
    () => kit.prisma.job.findUniqueOrThrow({ where: { id: jobId }, include: { artifacts: true } }),
    (j) => j.state !== "running",
    60_000,
    "the reaper to fail the job",
  );
  expect(job.state).toBe("failed");
  expect(job.error).toBe("the job's worker stopped responding 3 times");
  expect(job.finishedAt).not.toBeNull();
  expect(job.artifacts).toEqual([]);
});
