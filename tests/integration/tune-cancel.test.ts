/**
 * Canceling a tune job mid-search (issue 10): finished trials stay (state, artifacts), queued/running ones are
 * canceled, the coordinator creates nothing more, and tune.get still shows the finished trials in its report.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { cancelJob } from "../../server/services/jobs/cancel-job";
import { getTuneJob } from "../../server/services/tune/get-tune-job";
import { killWorker, spawnWorker, waitFor, type TWorkerProcess } from "./worker-test-kit";
import { startTuneKit, type TTuneKit } from "./tune-kit";

let kit: TTuneKit;
let worker: TWorkerProcess;

beforeAll(async () => {
  kit = await startTuneKit("tune-cancel");
  worker = spawnWorker(kit, [], { WORKER_CONCURRENCY: "1" });
  await worker.waitForLog((l) => l.msg === "worker started");
});

afterAll(async () => {
  await killWorker(worker);
  await kit?.stop();
});

test("cancel mid-search keeps finished trials, cancels the rest and stops creating trials", async () => {
  const caller = { userId: "tune-test", workspaceId: kit.workspaceId };
  // Unreachable floor: the search would run all 8 trials. Sent like a plain job: the worker forwards it.
  const tuneId = await kit.createTune({ floor: { metric: "cosine", min: 1.5 }, objective: "latency", budget: { maxTrials: 8 } }, { via: "job-queue" });
  await waitFor(
    () => kit.listTrials(tuneId),
    (ts) => ts.some((t) => t.state === "succeeded") && ts.some((t) => t.state === "queued" || t.state === "running"),
    90_000,
    "one finished and one unfinished trial",
  );
  await cancelJob({ prisma: kit.prisma }, caller, tuneId);

  const settled = await waitFor(
    () => kit.listTrials(tuneId),
    (ts) => ts.every((t) => t.state === "succeeded" || t.state === "canceled" || t.state === "failed"),
    30_000,
    "every trial to be finished or canceled",
  );
  const finished = settled.filter((t) => t.state === "succeeded");
  const canceled = settled.filter((t) => t.state === "canceled");
  expect(finished.length).toBeGreaterThanOrEqual(1);
  expect(canceled.length).toBeGreaterThanOrEqual(1);
  expect(settled.length).toBeLessThan(8);
  // Finished trials keep their published model and report.
  for (const t of finished) expect(t.artifacts.map((a) => a.name)).toEqual(expect.arrayContaining(["report.json", expect.stringMatching(/\.onnx$/)]));
  for (const t of canceled) expect(t.artifacts).toEqual([]);

  // The coordinator stops: no trial appears after the cancel.
  await new Promise((r) => setTimeout(r, 3000));
  expect((await kit.listTrials(tuneId)).length).toBe(settled.length);
  const tune = await kit.prisma.job.findUniqueOrThrow({ where: { id: tuneId } });
  expect(tune.state).toBe("canceled");

  const view = await getTuneJob({ prisma: kit.prisma, store: kit.store }, caller, tuneId);
  expect(view.report?.stoppedBecause).toBe("canceled");
  expect(view.report?.trials.filter((t) => t.state === "succeeded").map((t) => t.jobId).sort()).toEqual(finished.map((t) => t.id).sort());
  expect(view.trials).toHaveLength(settled.length);
});
