/**
 * Tune jobs end to end (issue 10) on a real worker: a single worker with concurrency 1 finishes a tune job (the
 * coordinator does not take the slot its trials need) and an unreachable goal returns the closest trial with the
 * reason. tune-spread.test.ts covers a reachable goal on two workers, tune-cancel.test.ts cancel.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import type { TTuneResultSummary } from "../../contracts/tune";
import { killWorker, spawnWorker, type TWorkerProcess } from "./worker-test-kit";
import { startTuneKit, type TTuneKit } from "./tune-kit";

let kit: TTuneKit;
const workers: TWorkerProcess[] = [];

beforeAll(async () => {
  kit = await startTuneKit("tune-search");
  workers.push(spawnWorker(kit, [], { WORKER_CONCURRENCY: "1" }));
  await workers[0]!.waitForLog((l) => l.msg === "worker started");
});

afterAll(async () => {
  for (const w of workers) await killWorker(w);
  await kit?.stop();
});

test("one worker with concurrency 1 finishes a tune job; an unreachable goal returns the closest trial and why", async () => {
  // Cosine can never exceed 1: no trial can meet this floor.
  const tuneId = await kit.createTune({ floor: { metric: "cosine", min: 1.5 }, objective: "latency", budget: { maxTrials: 3 } });
  const end = await kit.waitForTuneEnd(tuneId, 150_000);
  expect(end.error).toBeNull();
  expect(end.state).toBe("succeeded");
  const trials = await kit.listTrials(tuneId);
  expect(trials).toHaveLength(3);
  expect(new Set(trials.map((t) => t.preset)).size).toBe(3); // never the same candidate twice
  expect(trials.every((t) => t.state === "succeeded")).toBe(true);

  const report = await kit.readTuneReport(tuneId);
  expect(report.stoppedBecause).toBe("trial-budget");
  expect(report.metGoal).toBe(false);
  expect(report.recommendedJobId).toBeNull();
  expect(trials.map((t) => t.id)).toContain(report.closestJobId);
  expect(report.explanation[0]).toMatch(/^No trial met the goal \(cosine ≥ 1\.5\)\. Closest: .*cosine [0-9.]+ < 1\.5/);
  expect(report.paretoFront.length).toBeGreaterThan(0);
  const summary = end.result as TTuneResultSummary;
  expect(summary).toMatchObject({ kind: "tune", metGoal: false, recommendedJobId: null, closestJobId: report.closestJobId, trials: 3 });
  // Nothing met the goal, so no model is published as the recommendation: only the report.
  const artifacts = await kit.prisma.artifact.findMany({ where: { jobId: tuneId } });
  expect(artifacts.map((a) => a.name)).toEqual(["tune-report.json"]);
  // The job's log tells the search as it happened: the goal, every trial's result, then the explanation.
  const logs = (await kit.prisma.jobLog.findMany({ where: { jobId: tuneId }, orderBy: { id: "asc" } })).map((l) => l.message);
  expect(logs[0]).toMatch(/^attempt 1 started on worker .*: keep cosine ≥ 1\.5, minimize latency, at most 3 trials$/);
  for (const t of trials) expect(logs).toContainEqual(expect.stringMatching(new RegExp(`^trial ${t.preset!.replace(/^tune:/, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} succeeded \\(cosine `)));
  expect(logs.at(-report.explanation.length)).toBe(report.explanation[0]);
});
