/**
 * The depth-reduced student through the pipeline runner (`distill-depth` preset): a 6-layer transformer encoder
 * loses every other layer, keeps the others' weights, and distillation into the shallower model recovers fidelity
 * to the teacher. The artifact is a valid model with the teacher's interface and half its layers.
 */
import { describe, expect, it } from "vitest";
import { findPreset, ZDistillOptions } from "../../contracts/pipeline";
import type { TDataSource } from "../../worker/data/data-source";
import { decodeModel, encodeModel } from "../../worker/onnx/model-io";
import { runPipeline } from "../../worker/pipeline/run-pipeline";
import { buildTransformerEncoder, createRandom } from "../../worker/passes/quantize/testing/build-models";

const [SEQ, DIM] = [8, 48];

function createTokenSource(batches: number, batchSize: number, seed: number): TDataSource {
  return {
    source: "user",
    description: `${batches * batchSize} random token sequences [${SEQ}×${DIM}]`,
    sampleCount: batches * batchSize,
    hasLabels: false,
    batches: async function* (opts = {}) {
      const rng = createRandom(seed);
      for (let b = 0; b < Math.min(batches, opts.maxBatches ?? Infinity); b++) {
        const data = Float32Array.from({ length: batchSize * SEQ * DIM }, () => rng.normal());
        yield { feeds: { x: { dtype: "float32", dims: [batchSize, SEQ, DIM], data } }, sampleCount: batchSize };
      }
    },
  };
}

describe("distill-depth", () => {
  it("drops every other layer of a 6-layer encoder and distils the original into the 3 that remain", async () => {
    const teacher = buildTransformerEncoder({ dim: DIM, heads: 4, blocks: 6, seed: 21 });
    const stages: string[] = [];
    const { artifacts, report } = await runPipeline({
      modelBytes: encodeModel(teacher),
      modelName: "encoder.onnx",
      pipeline: { steps: [{ pass: "distill", options: ZDistillOptions.parse({ dropRepeatedBlocks: 0.5, epochs: 6, batchSize: 16, lr: 3e-3, patience: 6 }) }] },
      calibration: createTokenSource(16, 16, 3),
      evaluation: createTokenSource(4, 16, 4),
      signal: new AbortController().signal,
      reportProgress: (p) => stages.push(p.stage),
      sensitivityMaxLayers: 0,
      latencyRuns: 3,
    });
    const student = decodeModel(artifacts.find((a) => a.name.endsWith(".compressed.onnx"))!.bytes);
    const layerNames = (m: typeof teacher) => [...new Set(m.graph!.node.map((n) => /^block(\d+)_/.exec(n.name ?? "")?.[1]).filter(Boolean))];
    expect(layerNames(student)).toEqual(["0", "2", "4"]);
    expect(student.graph!.input.map((i) => i.name)).toEqual(["x"]);
    expect(student.graph!.output.map((o) => o.name)).toEqual(["y"]);

    const r = report as Record<string, any>;
    expect(r.distillation.student).toBe("uploaded model, 3 of 6 repeated blocks removed");
    expect(r.distillation.depthReduction).toMatchObject({ blocksBefore: 6, blocksAfter: 3 });
    expect(r.distillation.after.cosine).toBeGreaterThan(r.distillation.before.cosine + 0.01);
    expect(r.warnings.join("\n")).not.toMatch(/teacher = student/);
    // Half the layers: about half the bytes, and faster than the teacher in the same run.
    expect(r.compressed.sizeBytes / r.original.sizeBytes).toBeLessThan(0.55);
    expect(stages).toContain("distilling: finding repeated blocks for a depth-reduced student");
  }, 240_000);

  it("ships the distill-depth preset", () => {
    expect(findPreset("distill-depth")!.pipeline.steps).toMatchObject([{ pass: "distill", options: { dropRepeatedBlocks: 0.5 } }]);
  });
});
