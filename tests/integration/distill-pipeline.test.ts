/**
 * prune-channels → distill through the pipeline runner, on a teacher this engine trains on generated shapes with
 * known labels: the distilled artifact is a valid smaller model whose held-out agreement with the teacher (and
 * labelled accuracy) recovers most of what pruning lost; progress reports step, loss and held-out fidelity.
 */
import { describe, expect, it } from "vitest";
import { ZDistillOptions, ZPruneChannelsOptions, findPreset } from "../../contracts/pipeline";
import { decodeModel, encodeModel } from "../../worker/onnx/model-io";
import { runPipeline } from "../../worker/pipeline/run-pipeline";
import { SHAPE_CLASS_COUNT, createShapesCnn, createShapesDataSource, generateShapesDataset } from "../../worker/train/shapes-task";
import { measureAccuracy, trainSupervised } from "../../worker/train/train-supervised";

describe("distill pass", () => {
  it("recovers the accuracy a 50% channel prune lost", async () => {
    const train = generateShapesDataset(1200, { seed: 11 });
    const test = generateShapesDataset(400, { seed: 12 });
    const image = (d: typeof train) => ({ dtype: "float32" as const, dims: [d.count, 1, d.size, d.size], data: d.images });
    const { model: teacher } = await trainSupervised(
      createShapesCnn({ widths: [16, 32, 32] }),
      { input: "image", output: "logits", images: image(train), labels: train.labels, classes: SHAPE_CLASS_COUNT },
      { epochs: 6, batchSize: 32, lr: 4e-3, warmupSteps: 10 },
    );
    const teacherAccuracy = await measureAccuracy(teacher, "image", "logits", image(test), test.labels);
    expect(teacherAccuracy).toBeGreaterThan(0.8);

    const stages: string[] = [];
    const { artifacts, report } = await runPipeline({
      modelBytes: encodeModel(teacher),
      modelName: "shapes.onnx",
      pipeline: {
        steps: [
          { pass: "prune-channels", options: ZPruneChannelsOptions.parse({ ratio: 0.5, roundTo: 1 }) },
          { pass: "distill", options: ZDistillOptions.parse({ epochs: 10, batchSize: 32, maxSamples: 1500 }) },
        ],
      },
      calibration: createShapesDataSource(generateShapesDataset(1500, { seed: 13 }), 64, { withLabels: false }),
      signal: new AbortController().signal,
      reportProgress: (p) => stages.push(p.stage),
      sensitivityMaxLayers: 0,
      latencyRuns: 3,
    });
    const student = decodeModel(artifacts.find((a) => a.name.endsWith(".compressed.onnx"))!.bytes);
    expect(student.graph!.initializer.find((t) => t.name?.startsWith("conv3.w"))!.dims[0]).toBe(16);
    const distilledAccuracy = await measureAccuracy(student, "image", "logits", image(test), test.labels);
    const d = (report as Record<string, unknown>).distillation as {
      steps: number;
      before: { top1Agreement: number };
      after: { top1Agreement: number };
      lossCurve: { step: number; loss: number }[];
    };
    expect(d.steps).toBeGreaterThan(50);
    expect(d.after.top1Agreement).toBeGreaterThan(d.before.top1Agreement + 0.2);
    expect(d.lossCurve.at(-1)!.loss).toBeLessThan(d.lossCurve[0]!.loss);
    expect(distilledAccuracy).toBeGreaterThan(0.85 * teacherAccuracy);
    // Live progress: step, loss and the latest held-out fidelity, throttled (not one report per step).
    expect(stages.some((s) => /^distilling: step \d+\/\d+ · loss \d/.test(s))).toBe(true);
    expect(stages.some((s) => /^distilling: step \d+\/\d+ · loss \S+ · eval top-1 agreement \d+\.\d%$/.test(s))).toBe(true);
    expect(stages.filter((s) => s.startsWith("distilling: step")).length).toBeLessThan(d.steps);
  });

  it("ships a distill preset that prunes first", () => {
    expect(findPreset("distill")!.pipeline.steps.map((s) => s.pass)).toEqual(["prune-channels", "distill"]);
  });
});
