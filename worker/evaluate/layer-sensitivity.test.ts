import { describe, expect, it } from "vitest";
import { listSensitivityCandidates, measureLayerSensitivity, selectSensitivityCandidates, type TSensitivityCandidate } from "./layer-sensitivity";
import { buildTinyMlp, roundLayerWeights } from "./tiny-mlp.test-helper";

const c = (name: string, weightElements: number): TSensitivityCandidate => ({ name, opType: "Conv", weightElements });

describe("selectSensitivityCandidates", () => {
  it("keeps all when under the cap", () => {
    expect(selectSensitivityCandidates([c("a", 1), c("b", 2)], 5).map((x) => x.name)).toEqual(["a", "b"]);
  });

  it("keeps first, last and the largest layers in graph order", () => {
    const all = [c("first", 10), c("small", 1), c("big", 1000), c("mid", 50), c("huge", 5000), c("last", 3)];
    expect(selectSensitivityCandidates(all, 4).map((x) => x.name)).toEqual(["first", "big", "huge", "last"]);
    expect(selectSensitivityCandidates(all, 1).map((x) => x.name)).toEqual(["first"]);
    expect(selectSensitivityCandidates(all, 0)).toEqual([]);
  });
});

describe("measureLayerSensitivity (onnxruntime)", () => {
  it("ranks the layer whose quantization hurts most first", async () => {
    const model = buildTinyMlp();
    expect(listSensitivityCandidates(model).map((x) => x.name)).toEqual(["fc1", "fc2"]);
    const feeds = [{ x: { dtype: "float32" as const, dims: [4, 4], data: Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)) } }];
    const steps: Record<string, number> = { fc1: 0.01, fc2: 0.5 };
    const progress: number[] = [];
    const result = await measureLayerSensitivity({
      model,
      feeds,
      quantizeOnly: async (m, node) => roundLayerWeights(m, node.name, steps[node.name]),
      onProgress: (done) => progress.push(done),
    });
    expect(result.candidateCount).toBe(2);
    expect(result.measuredCount).toBe(2);
    expect(result.entries.map((e) => e.node)).toEqual(["fc2", "fc1"]);
    const [worst, best] = result.entries;
    expect(worst.snrDb).toBeLessThan(best.snrDb);
    expect(best.snrDb).toBeGreaterThan(25);
    expect(worst.cosine).toBeLessThan(best.cosine);
    expect(progress).toEqual([1, 2]);
  });

  it("records a layer whose quantization fails instead of aborting the table", async () => {
    const model = buildTinyMlp();
    const feeds = [{ x: { dtype: "float32" as const, dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) } }];
    const result = await measureLayerSensitivity({
      model,
      feeds,
      quantizeOnly: async (m, node) => {
        if (node.name === "fc1") throw new Error("unsupported");
        return roundLayerWeights(m, node.name, 0.1);
      },
    });
    expect(result.entries.map((e) => e.node)).toEqual(["fc2"]);
    expect(result.failures).toEqual([{ node: "fc1", reason: "unsupported" }]);
  });
});
