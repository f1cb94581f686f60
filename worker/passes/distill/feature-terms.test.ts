import { describe, expect, it } from "vitest";
import { createAttribute, createNodeProto, type TModelProto } from "../../onnx/onnx-proto";
import { createShapesCnn, generateShapesDataset } from "../../train/shapes-task";
import { DEFAULT_DISTILL_SETTINGS, distillModel } from "./distill-model";
import { ADAPTER_PREFIX, planFeatureTerms } from "./feature-terms";

const data = generateShapesDataset(160, { seed: 4, size: 8 });
const inputs = { image: { dtype: "float32" as const, dims: [160, 1, 8, 8], data: data.images } };
const settings = { ...DEFAULT_DISTILL_SETTINGS, epochs: 6, batchSize: 16, lr: 5e-3, patience: 6 };

describe("planFeatureTerms", () => {
  const teacher = new Map([
    ["t4", [1, 8, 4, 4]],
    ["t2", [1, 16]],
  ]);
  const student = new Map([
    ["s4", [1, 4, 4, 4]],
    ["s2", [1, 8]],
    ["same", [1, 8, 4, 4]],
    ["bad", [1, 4, 2, 4]],
  ]);

  it("plans a 1×1 Conv adapter for channel width, a MatMul for the last axis, none for equal shapes", () => {
    const terms = planFeatureTerms(
      [
        { teacher: "t4", student: "s4", weight: 1 },
        { teacher: "t2", student: "s2", weight: 0.5 },
        { teacher: "t4", student: "same", weight: 1 },
      ],
      teacher,
      student,
    );
    expect(terms.map((t) => t.adapter?.kind)).toEqual(["conv1x1", "matmul", undefined]);
    expect(terms[0]!.adapter).toMatchObject({ axis: 1, studentWidth: 4, teacherWidth: 8 });
    expect(terms[2]!.output).toBe("same");
  });

  it("names the tensor when a name is unknown or the shapes differ in more than one axis", () => {
    expect(() => planFeatureTerms([{ teacher: "nope", student: "s4", weight: 1 }], teacher, student)).toThrow(/teacher has no tensor named "nope"/);
    expect(() => planFeatureTerms([{ teacher: "t4", student: "nope", weight: 1 }], teacher, student)).toThrow(/student has no tensor named "nope"/);
    expect(() => planFeatureTerms([{ teacher: "t4", student: "bad", weight: 1 }], teacher, student)).toThrow(/same shape except the width of one axis/);
  });
});

describe("feature and attention distillation", () => {
  it("trains narrower student features through adapters: the feature loss falls, fidelity rises, adapters are dropped", async () => {
    const teacher = createShapesCnn({ size: 8, widths: [8, 8, 16], seed: 1 });
    const student = createShapesCnn({ size: 8, widths: [4, 4, 8], seed: 2 });
    const r = await distillModel({
      teacher,
      student,
      inputs,
      settings: { ...settings, features: [{ teacher: "relu2", student: "relu2", weight: 1 }, { teacher: "features", student: "features", weight: 1 }] },
    });
    expect(r.report.features.map((f) => f.adapter)).toEqual(["conv1x1 4→8", "matmul 8→16"]);
    const featureTerms = r.report.terms.filter((t) => t.term.startsWith("mse("));
    expect(featureTerms).toHaveLength(2);
    for (const t of featureTerms) expect(t.lastEpoch, t.term).toBeLessThan(0.7 * t.firstEpoch);
    expect(r.report.after.cosine).toBeGreaterThan(r.report.before.cosine + 0.05);
    expect(r.report.after.top1Agreement!).toBeGreaterThan(r.report.before.top1Agreement!);
    const names = [...r.model.graph!.node.map((n) => n.name ?? ""), ...r.model.graph!.initializer.map((t) => t.name ?? "")];
    expect(names.filter((n) => n.startsWith(ADAPTER_PREFIX))).toEqual([]);
    expect(r.model.graph!.node.map((n) => n.opType)).toEqual(student.graph!.node.map((n) => n.opType));
  });

  it("matches inner Softmax outputs when attention distillation is on", async () => {
    // relu3 → Softmax over channels ("attn") → re-weights relu3: a channel-attention block in both models.
    const withAttention = (seed: number): TModelProto => {
      const m = createShapesCnn({ size: 8, widths: [4, 4, 8], seed });
      const g = m.graph!;
      const gap = g.node.findIndex((n) => n.opType === "GlobalAveragePool");
      g.node[gap]!.input[0] = "weighted";
      g.node.splice(
        gap,
        0,
        createNodeProto("Softmax", ["relu3"], ["attn"], { name: "attn", attribute: [createAttribute("axis", 1, { asInt: true })] }),
        createNodeProto("Mul", ["relu3", "attn"], ["weighted"], { name: "weighted" }),
      );
      return m;
    };
    const r = await distillModel({ teacher: withAttention(1), student: withAttention(3), inputs, settings: { ...settings, attentionWeight: 10 } });
    expect(r.report.attention).toEqual({ pairs: ["attn ↔ attn"], skipped: [] });
    const term = r.report.terms.find((t) => t.term === "mse(attn)")!;
    expect(term.lastEpoch).toBeLessThan(0.8 * term.firstEpoch);
    expect(r.report.after.cosine).toBeGreaterThan(r.report.before.cosine);
  });
});
