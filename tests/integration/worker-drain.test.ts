import { afterAll, beforeAll, expect, test } from "vitest";
import {
  killWorker,
  LONG_JOB_PIPELINE,
  spawnWorker,
  startWorkerKit,
  waitFor,
  type TWorkerKit,
  type TWorkerProcess,
  waitForJobToFinish,
} from "./worker-test-kit";

let kit: TWorkerKit;
const workers: TWorkerProcess[] = [];

beforeAll(async () => {
  kit = await startWorkerKit("worker-drain");
});

afterAll(async () => {
  for (const w of workers) await killWorker(w);
  await kit?.stop();
});

async function startJobOn(worker: TWorkerProcess): Promise<string> {
  await worker.waitForLog((l) => l.msg === "worker started");
  const jobId = await kit.createJob(LONG_JOB_PIPELINE);
  await waitFor(
    () => kit.prisma.job.findUniqueOrThrow({ where: { id: jobId } }),
    (j) => j.state === "running" && j.progress > 0.1,
    60_000,
    "the job to be mid-run",
  );
  return jobId;
}

test("SIGTERM drains: the running job still succeeds on the same worker, which then exits 0", async () => {
  const worker = spawnWorker(kit, ["--id", "draining"]);
  workers.push(worker);
  const jobId = await startJobOn(worker);

  worker.child.kill("SIGTERM");
  expect(await worker.exited).toBe(0);

  const job = await kit.prisma.job.findUniqueOrThrow({ where: { id: jobId }, include: { artifacts: true } });
  expect(job.state).toBe("succeeded");
  expect(job.attempts).toBe(1);
  expect(job.workerId).toMatch(/^draining-/);
  expect(job.artifacts.map((a) => a.name)).toEqual(["report.json"]);
});

test("a drain that times out hands the job back to the queue (not failed, attempt not spent) and another worker finishes it", async () => {
  const worker = spawnWorker(kit, ["--id", "impatient", "--drain-timeout", "0"]);
  workers.push(worker);
  const jobId = await startJobOn(worker);

  worker.child.kill("SIGTERM");
  expect(await worker.exited).toBe(0);

  const released = await kit.prisma.job.findUniqueOrThrow({ where: { id: jobId }, include: { artifacts: true } });
  expect(released.state).toBe("queued");
  expect(released.attempts).toBe(0);
  expect(released.workerId).toBeNull();
  expect(released.artifacts).toEqual([]);

  const next = spawnWorker(kit, ["--id", "successor"]);
  workers.push(next);
  const job = await waitForJobToFinish(kit, jobId, 120_000, "the handed-back job to finish");
  expect(job.state).toBe("succeeded");
  expect(job.attempts).toBe(1);
  expect(job.workerId).toMatch(/^successor-/);
  expect(job.artifacts.map((a) => a.attempt)).toEqual([1]);
});
