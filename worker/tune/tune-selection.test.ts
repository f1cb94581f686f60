import { describe, expect, test } from "vitest";
import { ZTuneGoal } from "../../contracts/tune";
import { buildTuneReport, computeParetoFront, evaluateTrial, selectRecommendation, type TTrialInput } from "./tune-selection";

const goal = ZTuneGoal.parse({ floor: { metric: "cosine", min: 0.99 }, objective: "latency" });

function trial(id: string, cosine: number, latencyRatioP50: number, sizeRatio: number, extra: Partial<TTrialInput> = {}): TTrialInput {
  return {
    jobId: id,
    candidateId: id,
    rationale: "",
    round: 1,
    pipeline: { steps: [] },
    state: "succeeded",
    result: { fidelity: { cosine, snrDb: 30 }, latencyRatioP50, sizeRatio, compressed: { sizeBytes: Math.round(sizeRatio * 1000) } },
    ...extra,
  };
}

describe("evaluateTrial (floor, targets, no-regression gate)", () => {
  test("a trial slower than the original is flagged and never eligible, even when it keeps the floor", () => {
    const t = evaluateTrial(trial("slow", 0.999, 1.3, 0.3), goal);
    expect(t.meetsFloor).toBe(true);
    expect(t.flags).toEqual(["slower-than-original"]);
    expect(t.meetsGoal).toBe(false);
  });

  test("most compute left between unfused Q/DQ pairs flags the trial; a mostly fused graph passes", () => {
    const unfused = evaluateTrial(trial("qdq", 0.999, 0.9, 0.3, { qdq: { computeNodes: 10, unfusedComputeNodes: 6, quantizedComputeNodes: 4 } }), goal);
    expect(unfused.flags).toContain("unfused-qdq");
    expect(unfused.flagDetails.join(" ")).toMatch(/6 of 10/);
    const fused = evaluateTrial(trial("ok", 0.999, 0.9, 0.3, { qdq: { computeNodes: 10, unfusedComputeNodes: 2, quantizedComputeNodes: 8 } }), goal);
    expect(fused.flags).toEqual([]);
    expect(fused.meetsGoal).toBe(true);
  });

  test("hard size and latency targets apply on top of the floor", () => {
    const g = ZTuneGoal.parse({ floor: { metric: "cosine", min: 0.9 }, maxSizeBytes: 500, maxLatencyRatio: 0.8 });
    expect(evaluateTrial(trial("big", 0.99, 0.7, 0.6), g).meetsGoal).toBe(false);
    expect(evaluateTrial(trial("slowish", 0.99, 0.85, 0.4), g).meetsGoal).toBe(false);
    expect(evaluateTrial(trial("fits", 0.99, 0.7, 0.4), g).meetsGoal).toBe(true);
  });
});

describe("computeParetoFront", () => {
  test("keeps non-dominated trials over size × latency × fidelity and drops dominated and unfinished ones", () => {
    const trials = [
      trial("a", 0.999, 0.9, 0.5),
      trial("b", 0.99, 0.6, 0.3),
      trial("dominated", 0.98, 0.95, 0.6),
      trial("c", 0.95, 0.5, 0.2),
      { ...trial("running", 1, 0.1, 0.1), state: "running" },
    ].map((t) => evaluateTrial(t, goal));
    expect(computeParetoFront(trials).sort()).toEqual(["a", "b", "c"]);
  });
});

describe("selectRecommendation", () => {
  test("recommends the fastest trial that meets the goal and explains why faster ones were not chosen", () => {
    const trials = [trial("fast-bad", 0.9, 0.4, 0.2), trial("ok", 0.995, 0.7, 0.3), trial("better-fidelity", 0.999, 0.8, 0.5)].map((t) => evaluateTrial(t, goal));
    const s = selectRecommendation(trials, goal);
    expect(s.recommendedJobId).toBe("ok");
    expect(s.metGoal).toBe(true);
    expect(s.explanation.join("\n")).toMatch(/fast-bad scores better on latency but has cosine 0\.9 < 0\.99/);
  });

  test("says so when the recommendation is no measurable gain over the original", () => {
    const flat = selectRecommendation([trial("same", 0.9999, 1.01, 0.97), trial("lossy", 0.9, 0.6, 0.3)].map((t) => evaluateTrial(t, goal)), goal);
    expect(flat.recommendedJobId).toBe("same");
    expect(flat.explanation[1]).toMatch(/No trial that keeps cosine ≥ 0\.99 is measurably better than the original on latency \(best 1\.01× .*keeping the original model is as good/);
    const real = selectRecommendation([trial("fast", 0.995, 0.7, 0.3)].map((t) => evaluateTrial(t, goal)), goal);
    expect(real.explanation.join("\n")).not.toMatch(/measurably better/);
  });

  test("when nothing meets the goal it names the closest trial and the reason", () => {
    const trials = [trial("far", 0.8, 0.5, 0.2), trial("near", 0.985, 0.9, 0.4), trial("slow", 0.999, 1.2, 0.4)].map((t) => evaluateTrial(t, goal));
    const s = selectRecommendation(trials, goal);
    expect(s.recommendedJobId).toBeNull();
    expect(s.closestJobId).toBe("near");
    expect(s.explanation[0]).toMatch(/No trial met the goal.*Closest: near.*cosine 0\.985 < 0\.99/);
  });

  test("buildTuneReport marks the front and the stop reason", () => {
    const r = buildTuneReport({ tuneJobId: "t", goal, original: { sizeBytes: 1000 }, trials: [trial("x", 0.995, 0.7, 0.3)], stoppedBecause: "goal-met" });
    expect(r.recommendedJobId).toBe("x");
    expect(r.trials[0]!.onParetoFront).toBe(true);
    expect(r.explanation.at(-1)).toMatch(/goal was met/);
  });
});
