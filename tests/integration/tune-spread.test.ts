/**
 * Tune jobs end to end (issue 10) on two real workers: a reachable goal stops before the budget, spreads trials
 * over both processes and publishes the recommended model (the trial's exact bytes) with tune-report.json.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import type { TTuneResultSummary } from "../../contracts/tune";
import { killWorker, spawnWorker, type TWorkerProcess } from "./worker-test-kit";
import { startTuneKit, type TTuneKit } from "./tune-kit";

let kit: TTuneKit;
const workers: TWorkerProcess[] = [];

beforeAll(async () => {
  kit = await startTuneKit("tune-spread");
  for (let i = 0; i < 2; i++) workers.push(spawnWorker(kit, [], { WORKER_CONCURRENCY: "1" }));
  await Promise.all(workers.map((w) => w.waitForLog((l) => l.msg === "worker started")));
});

afterAll(async () => {
  for (const w of workers) await killWorker(w);
  await kit?.stop();
});

test("a reachable goal stops before the budget, spreads trials over two workers and publishes the recommended model", async () => {
  const maxTrials = 20;
  const tuneId = await kit.createTune({ floor: { metric: "cosine", min: 0.95 }, objective: "latency", budget: { maxTrials } });
  const end = await kit.waitForTuneEnd(tuneId, 170_000);
  expect(end.error).toBeNull();
  expect(end.state).toBe("succeeded");
  const report = await kit.readTuneReport(tuneId);
  const trials = await kit.listTrials(tuneId);
  expect(report.metGoal).toBe(true);
  expect(report.stoppedBecause).toBe("goal-met");
  expect(trials.length).toBeLessThan(maxTrials);
  // Trials ran on both worker processes (the coordinator itself holds no trial slot).
  const trialWorkers = new Set(trials.filter((t) => t.state === "succeeded").map((t) => t.workerId?.replace(/-[0-9a-f]{6}$/, "")));
  expect(trialWorkers.size).toBe(2);

  const chosen = report.trials.find((t) => t.jobId === report.recommendedJobId)!;
  expect(chosen.cosine).toBeGreaterThanOrEqual(0.95);
  expect(chosen.flags).toEqual([]);
  expect(chosen.latencyRatioP50).toBeLessThanOrEqual(1.02);
  // No eligible trial is faster than the recommended one.
  for (const t of report.trials.filter((x) => x.meetsGoal)) expect(t.latencyRatioP50!).toBeGreaterThanOrEqual(chosen.latencyRatioP50!);
  // The tune job's model artifact is the recommended trial's model, byte for byte.
  const tuneArtifacts = await kit.prisma.artifact.findMany({ where: { jobId: tuneId } });
  const trialModel = trials.find((t) => t.id === chosen.jobId)!.artifacts.find((a) => a.name.endsWith(".onnx"))!;
  expect(tuneArtifacts.find((a) => a.name === trialModel.name)?.sha256).toBe(trialModel.sha256);
  expect((end.result as TTuneResultSummary).recommendedJobId).toBe(chosen.jobId);
});
