/**
 * A tune coordinator whose worker dies (SIGKILL) is put back by the reaper and resumes on another worker from the
 * trials already in the database: the job finishes, on its second attempt, without any candidate run twice.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { killWorker, spawnWorker, waitFor, type TWorkerProcess } from "./worker-test-kit";
import { startTuneKit, type TTuneKit } from "./tune-kit";

let kit: TTuneKit;
const workers: TWorkerProcess[] = [];

beforeAll(async () => {
  kit = await startTuneKit("tune-resume");
});

afterAll(async () => {
  for (const w of workers) await killWorker(w);
  await kit?.stop();
});

test("a coordinator killed mid-search resumes elsewhere and never creates a trial twice", async () => {
  workers.push(spawnWorker(kit, [], { WORKER_CONCURRENCY: "1" }));
  await workers[0]!.waitForLog((l) => l.msg === "worker started");
  const tuneId = await kit.createTune({ floor: { metric: "cosine", min: 1.5 }, objective: "latency", budget: { maxTrials: 3 } });
  await waitFor(() => kit.listTrials(tuneId), (ts) => ts.length >= 1, 60_000, "the first trials");
  await killWorker(workers[0]);

  workers.push(spawnWorker(kit, [], { WORKER_CONCURRENCY: "1" }));
  const end = await kit.waitForTuneEnd(tuneId, 150_000);
  expect(end.error).toBeNull();
  expect(end.state).toBe("succeeded");
  const tune = await kit.prisma.job.findUniqueOrThrow({ where: { id: tuneId } });
  expect(tune.attempts).toBe(2);
  const trials = await kit.listTrials(tuneId);
  expect(trials).toHaveLength(3);
  expect(new Set(trials.map((t) => t.preset)).size).toBe(3);
  const report = await kit.readTuneReport(tuneId);
  expect(report.trials.map((t) => t.jobId).sort()).toEqual(trials.map((t) => t.id).sort());
  expect(report.stoppedBecause).toBe("trial-budget");
});
