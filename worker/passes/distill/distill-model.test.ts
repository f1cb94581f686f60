import { describe, expect, it } from "vitest";
import { createNodeProto } from "../../onnx/onnx-proto";
import { createShapesCnn, generateShapesDataset } from "../../train/shapes-task";
import { DEFAULT_DISTILL_SETTINGS, distillModel } from "./distill-model";

const data = generateShapesDataset(160, { seed: 4, size: 8 });
const inputs = { image: { dtype: "float32" as const, dims: [160, 1, 8, 8], data: data.images } };

describe("distillModel", () => {
  it("distils through a Softmax output on its logits and raises held-out agreement with the teacher", async () => {
    const withSoftmax = (seed: number, widths: [number, number, number]) => {
      const m = createShapesCnn({ size: 8, widths, seed });
      const g = m.graph!;
      g.node.find((n) => n.opType === "Gemm")!.output[0] = "fc_out";
      g.node.push(createNodeProto("Softmax", ["fc_out"], ["logits"], { name: "softmax" }));
      return m;
    };
    const teacher = withSoftmax(1, [8, 8, 16]);
    const student = withSoftmax(2, [4, 4, 8]);
    const r = await distillModel({ teacher, student, inputs, settings: { ...DEFAULT_DISTILL_SETTINGS, epochs: 8, batchSize: 16, lr: 5e-3, patience: 8 } });
    expect(r.report.losses).toEqual(["kl-distill(fc_out)×1"]);
    expect(r.report.holdoutSamples).toBe(24);
    expect(r.report.after.cosine).toBeGreaterThan(r.report.before.cosine);
    expect(r.report.after.top1Agreement!).toBeGreaterThan(r.report.before.top1Agreement!);
    expect(r.report.lossCurve.length).toBeLessThanOrEqual(101);
    // The student keeps its graph: only initializer values change.
    expect(r.model.graph!.node.map((n) => n.opType)).toEqual(student.graph!.node.map((n) => n.opType));
  });

  it("passes the student on untrained when training only moves it away from the teacher", async () => {
    // The student is the teacher: held-out fidelity starts perfect, so no epoch can beat it, and a huge lr makes
    // every epoch worse. The step must hand on the model it received, not the best (still worse) epoch.
    const teacher = createShapesCnn({ size: 8, widths: [4, 4, 8], seed: 3 });
    const r = await distillModel({
      teacher,
      student: teacher,
      inputs,
      settings: { ...DEFAULT_DISTILL_SETTINGS, epochs: 2, batchSize: 16, lr: 0.9, patience: 2 },
    });
    expect(r.report.keptUntrained).toBe(true);
    expect(r.model).toBe(teacher);
    expect(r.report.after.cosine).toBeCloseTo(1, 6);
    expect(Math.max(...r.report.epochScores)).toBeLessThan(1 + 1e-3);
  });

  it("rejects a student whose inputs or outputs differ from the teacher's", async () => {
    const teacher = createShapesCnn({ size: 8, widths: [4, 4, 8] });
    const student = createShapesCnn({ size: 8, widths: [4, 4, 8] });
    student.graph!.output[0]!.name = "scores";
    student.graph!.node.at(-1)!.output[0] = "scores";
    await expect(distillModel({ teacher, student, inputs, settings: DEFAULT_DISTILL_SETTINGS })).rejects.toThrow(/student model's outputs \(scores\) differ/);
  });
});
