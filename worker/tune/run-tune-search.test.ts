import { describe, expect, test } from "vitest";
import { ZTuneGoal } from "../../contracts/tune";
import { runTuneSearch, type TTrialBackend, type TTrialRecord } from "./run-tune-search";
import type { TModelTraits } from "./search-strategy";

const cnn: TModelTraits = { sizeBytes: 1e6, convCount: 20, matmulCount: 0, largestWeightElements: 50_000 };

/** Trials finish on the next poll with numbers from `outcomes` (by candidate id); unknown ids keep the floor barely missed. */
function createFakeBackend(outcomes: Record<string, { cosine: number; latency: number }>, initial: TTrialRecord[] = []) {
  const records: TTrialRecord[] = [...initial];
  const creates: string[] = [];
  const backend: TTrialBackend = {
    listTrials: async () => {
      const snapshot = records.map((r) => ({ ...r }));
      for (const r of records) {
        if (r.state !== "queued") continue;
        const o = outcomes[r.candidateId] ?? { cosine: 0.5, latency: 0.9 };
        r.state = "succeeded";
        r.result = { fidelity: { cosine: o.cosine, snrDb: 20 }, latencyRatioP50: o.latency, sizeRatio: 0.5, compressed: { sizeBytes: 5e5 } };
      }
      return snapshot;
    },
    createTrial: async (c) => {
      creates.push(c.id);
      if (records.some((r) => r.candidateId === c.id)) throw new Error(`duplicate trial ${c.id}`);
      records.push({ jobId: `j${records.length}`, candidateId: c.id, pipeline: c.pipeline, state: "queued" });
      return `j${records.length - 1}`;
    },
    cancelTrials: async (ids) => {
      for (const r of records) if (ids.includes(r.jobId) && r.state === "queued") r.state = "canceled";
    },
    loadExtras: async () => ({}),
  };
  return { backend, records, creates };
}

describe("runTuneSearch", () => {
  test("stops once the goal is met and nothing pending is expected to beat it", async () => {
    const goal = ZTuneGoal.parse({ floor: { metric: "cosine", min: 0.99 }, objective: "latency", budget: { maxTrials: 20 } });
    const { backend, records } = createFakeBackend({ "max-speed": { cosine: 0.995, latency: 0.4 } });
    const out = await runTuneSearch({ tuneJobId: "t", goal, model: cnn, backend, signal: new AbortController().signal, pollIntervalMs: 1, maxParallelTrials: 1 });
    expect(out.stoppedBecause).toBe("goal-met");
    expect(records).toHaveLength(1);
    expect(out.report.recommendedJobId).toBe("j0");
  });

  test("respects the trial budget and, resumed over existing trials, never recreates a candidate", async () => {
    const goal = ZTuneGoal.parse({ floor: { metric: "cosine", min: 0.99 }, objective: "latency", budget: { maxTrials: 4 } });
    const existing: TTrialRecord[] = [
      { jobId: "old", candidateId: "max-speed", pipeline: { steps: [] }, state: "succeeded", result: { fidelity: { cosine: 0.5, snrDb: 1 }, latencyRatioP50: 0.5, sizeRatio: 0.2 } },
    ];
    const { backend, records, creates } = createFakeBackend({}, existing);
    const out = await runTuneSearch({ tuneJobId: "t", goal, model: cnn, backend, signal: new AbortController().signal, pollIntervalMs: 1, maxParallelTrials: 2 });
    expect(out.stoppedBecause).toBe("trial-budget");
    expect(records).toHaveLength(4);
    expect(creates).not.toContain("max-speed");
    expect(out.report.metGoal).toBe(false);
    expect(out.report.closestJobId).not.toBeNull();
  });

  test("the time budget cancels trials in flight and returns what finished", async () => {
    const goal = ZTuneGoal.parse({ floor: { metric: "cosine", min: 0.99 }, budget: { maxTrials: 10, maxWallSeconds: 10 } });
    let nowMs = 0;
    const { backend } = createFakeBackend({});
    const out = await runTuneSearch({
      tuneJobId: "t",
      goal,
      model: cnn,
      backend,
      signal: new AbortController().signal,
      pollIntervalMs: 1,
      maxParallelTrials: 1,
      startedAtMs: 0,
      now: () => (nowMs += 4000),
    });
    expect(out.stoppedBecause).toBe("time-budget");
    expect(out.report.trials.length).toBeLessThan(10);
  });
});
