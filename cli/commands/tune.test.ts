import { describe, expect, test } from "vitest";
import { buildTuneGoal } from "./tune";

describe("condense tune options", () => {
  test("builds the goal from --floor/--objective/--max-trials", () => {
    expect(buildTuneGoal({ floor: "cosine>=0.99", objective: "latency", "max-trials": "12", "max-latency-ratio": "0.8" })).toEqual({
      floor: { metric: "cosine", min: 0.99 },
      objective: "latency",
      maxLatencyRatio: 0.8,
      budget: { maxTrials: 12 },
    });
  });

  test("rejects a malformed floor, an unknown objective and too many trials with the option's name", () => {
    expect(() => buildTuneGoal({ floor: "cos>0.9" })).toThrow(/invalid floor "cos>0.9": use METRIC>=VALUE/);
    expect(() => buildTuneGoal({ floor: "cosine>=0.9", objective: "speed" })).toThrow(/--objective must be one of size, latency, both/);
    expect(() => buildTuneGoal({ floor: "cosine>=0.9", "max-trials": "80" })).toThrow(/at most 50/);
    expect(() => buildTuneGoal({})).toThrow(/missing --floor/);
  });
});

describe("formatTuneView", () => {
  test("lists trials with the floor metric, size and latency, marks the recommended one and prints the explanation", async () => {
    const { buildTuneReport } = await import("../../worker/tune/tune-selection");
    const { ZTuneGoal } = await import("../../contracts/tune");
    const { formatTuneView } = await import("./tune");
    const goal = ZTuneGoal.parse({ floor: { metric: "cosine", min: 0.99 } });
    const trial = (id: string, cosine: number, latency: number) => ({
      jobId: id,
      candidateId: id,
      rationale: "",
      round: 1,
      pipeline: { steps: [] },
      state: "succeeded",
      result: { fidelity: { cosine, snrDb: 30 }, latencyRatioP50: latency, sizeRatio: 0.3, compressed: { sizeBytes: 3000 } },
    });
    const report = buildTuneReport({ tuneJobId: "t", goal, original: { sizeBytes: 10_000 }, trials: [trial("int8-static", 0.995, 0.6), trial("max-speed", 0.9, 0.4)], stoppedBecause: "goal-met" });
    const text = formatTuneView({ job: { id: "t", state: "succeeded" } as never, report });
    expect(text).toMatch(/int8-static\s+succeeded\s+0\.9950\s+.*0\.600x\s+recommended/);
    expect(text).toMatch(/max-speed .*0\.400x/);
    expect(text).toContain("· Recommended int8-static");
  });
});
