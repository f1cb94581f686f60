import { describe, expect, test } from "vitest";
import { ZTuneGoal } from "../../contracts/tune";
import { createSearchStrategy, pickSensitiveNodes, proposeRoundOne, type TModelTraits, type TStrategyTrial } from "./search-strategy";
import { evaluateTrial } from "./tune-selection";

const cnn: TModelTraits = { sizeBytes: 1e6, convCount: 20, matmulCount: 1, largestWeightElements: 50_000 };
const goal = ZTuneGoal.parse({ floor: { metric: "cosine", min: 0.99 }, objective: "latency" });

function finished(candidateId: string, cosine: number, latencyRatioP50: number, extra: Partial<TStrategyTrial> = {}): TStrategyTrial {
  const t = evaluateTrial(
    { jobId: candidateId, candidateId, rationale: "", round: 1, pipeline: { steps: [] }, state: "succeeded", result: { fidelity: { cosine, snrDb: 20 }, latencyRatioP50, sizeRatio: 0.3 } },
    goal,
  );
  return { ...t, ...extra };
}

describe("proposeRoundOne", () => {
  test("orders presets by expected latency for a latency goal and skips size-only presets", () => {
    const ids = proposeRoundOne(cnn, "latency").map((c) => c.id);
    expect(ids[0]).toBe("max-speed");
    expect(ids).toContain("int8-static");
    expect(ids).not.toContain("cluster");
    expect(ids).not.toContain("max-compression");
  });

  test("a model without MatMul/Gemm gets no int8-dynamic/int4 candidates; a size goal adds clustering", () => {
    const ids = proposeRoundOne({ ...cnn, matmulCount: 0 }, "size").map((c) => c.id);
    expect(ids).not.toContain("int8-dynamic");
    expect(ids).not.toContain("int4-weight");
    expect(ids).toContain("cluster");
  });
});

describe("refinements", () => {
  test("an int8-static trial below the floor yields mixed precision from its sensitivity table", () => {
    const sensitivity = [
      { node: "conv_a", opType: "Conv", cosine: 0.999, snrDb: 40 },
      { node: "conv_b", opType: "Conv", cosine: 0.9, snrDb: 10 },
      { node: "conv_c", opType: "Conv", cosine: 0.95, snrDb: 15 },
    ];
    expect(pickSensitiveNodes(sensitivity, 2)).toEqual(["conv_b", "conv_c"]);
    const cands = createSearchStrategy().proposeCandidates({ goal, model: cnn, trials: [finished("int8-static", 0.97, 0.7, { sensitivity })] });
    const keep4 = cands.find((c) => c.id === "int8-static/keep-4")!;
    expect(keep4.pipeline.steps[0]).toMatchObject({ pass: "int8-static", options: { nodesToExclude: ["conv_b", "conv_c", "conv_a"] } });
    expect(cands.map((c) => c.id)).toContain("int8-static/entropy");
  });

  test("an int8-static trial that kept the floor is retried with its float fallback aimed at the user's floor", () => {
    const cands = createSearchStrategy().proposeCandidates({ goal, model: cnn, trials: [finished("int8-static", 0.9944, 0.8)] });
    const aimed = cands.filter((c) => c.id.startsWith("int8-static/") && c.id.includes("@"));
    expect(aimed.map((c) => c.id)).toEqual(["int8-static/percentile@0.992", "int8-static/minmax@0.992", "int8-static/entropy@0.992"]);
    expect(aimed[1]!.pipeline.steps[0]).toMatchObject({ pass: "int8-static", options: { calibrationMethod: "minmax", fidelityTarget: 0.992 } });
    // Expected faster than the trial they refine, so the stop rule keeps searching for them.
    expect(aimed.every((c) => c.estimate.latencyRatio < 0.8)).toBe(true);
    expect(cands.map((c) => c.id)).not.toContain("int8-static/keep-4");
    // And with HardSwish quantized (QLinearAdd/QLinearMul instead of a float island), unless only size matters.
    const hardSwish = cands.find((c) => c.id === "int8-static/hardswish")!;
    expect((hardSwish.pipeline.steps[0]!.options as { opTypesToQuantize: string[] }).opTypesToQuantize).toContain("HardSwish");
    const sizeOnly = createSearchStrategy().proposeCandidates({ goal: { ...goal, objective: "size" }, model: cnn, trials: [finished("int8-static", 0.9944, 0.8)] });
    expect(sizeOnly.map((c) => c.id)).not.toContain("int8-static/hardswish");
  });

  test("pruning that lost the floor is swept to lower ratios and gets a distillation candidate", () => {
    const ids = createSearchStrategy().proposeCandidates({ goal, model: cnn, trials: [finished("prune-channels", 0.8, 0.7)] }).map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(["prune-channels/r0.2", "prune-channels/r0.1", "prune-channels/r0.3+distill"]));
  });

  test("max-speed below the floor is recombined only after both halves were measured", () => {
    const early = createSearchStrategy().proposeCandidates({ goal, model: cnn, trials: [finished("max-speed", 0.7, 0.5)] }).map((c) => c.id);
    expect(early.some((id) => id.includes(">"))).toBe(false);
    const later = createSearchStrategy()
      .proposeCandidates({ goal, model: cnn, trials: [finished("max-speed", 0.7, 0.5), finished("prune-channels/r0.1", 0.995, 0.9), finished("prune-channels", 0.8, 0.7), finished("int8-static", 0.995, 0.7)] })
      .map((c) => c.id);
    expect(later).toContain("prune-channels/r0.1>int8-static");
  });
});
