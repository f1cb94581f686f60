import { describe, expect, it } from "vitest";
import { createNodeProto } from "../../onnx/onnx-proto";
import { TrainingSession } from "../training-session";
import { buildTrainingGraph } from "./build-training-graph";
import { createTestModel } from "./grad-check.test-helper";

const softmax = (row: number[], t: number) => {
  const e = row.map((v) => Math.exp(v / t));
  const s = e.reduce((a, b) => a + b);
  return e.map((v) => v / s);
};

describe("loss terms", () => {
  it("T²·KL and cross-entropy give the textbook values and gradients", async () => {
    const s = [0.3, -1.2, 2.0, 0.5, 1.1, 0.2, -0.4, 0.9];
    const t = [1.5, -0.5, 0.7, 0.1, -0.3, 2.2, 0.4, -1.0];
    const T = 2;
    const model = createTestModel({ nodes: [createNodeProto("Identity", ["s"], ["y"])], params: { s: { dims: [2, 4], values: s } }, output: "y" });
    const graph = await buildTrainingGraph(model, {
      feedShapes: {},
      losses: [
        { kind: "kl-distill", output: "y", temperature: T, weight: 0.7 },
        { kind: "cross-entropy", output: "y", weight: 0.3 },
      ],
    });
    const session = await TrainingSession.create(graph);
    try {
      const labels = [0, 0, 1, 0, 0, 0, 0, 1];
      const r = await session.computeGradients({
        [graph.targets[0]!.name]: { dtype: "float32", dims: [2, 4], data: Float32Array.from(t) },
        [graph.targets[1]!.name]: { dtype: "float32", dims: [2, 4], data: Float32Array.from(labels) },
      });
      let kl = 0;
      let ce = 0;
      const grad: number[] = [];
      for (let row = 0; row < 2; row++) {
        const sr = s.slice(row * 4, row * 4 + 4);
        const p = softmax(t.slice(row * 4, row * 4 + 4), T);
        const q = softmax(sr, T);
        const q1 = softmax(sr, 1);
        const y = labels.slice(row * 4, row * 4 + 4);
        p.forEach((pi, i) => (kl += pi * Math.log(pi / q[i]!)));
        y.forEach((yi, i) => (ce -= yi * Math.log(q1[i]!)));
        // d(T²·KL/rows)/ds = T·(q − p)/rows; d(CE/rows)/ds = (softmax(s) − y)/rows
        for (let i = 0; i < 4; i++) grad.push((0.7 * T * (q[i]! - p[i]!) + 0.3 * (q1[i]! - y[i]!)) / 2);
      }
      expect(r.termLosses[0]).toBeCloseTo((T * T * kl) / 2, 5);
      expect(r.termLosses[1]).toBeCloseTo(ce / 2, 5);
      expect(r.loss).toBeCloseTo((0.7 * T * T * kl + 0.3 * ce) / 2, 5);
      Array.from(r.grads.get("s")!).forEach((g, i) => expect(g).toBeCloseTo(grad[i]!, 5));
    } finally {
      await session.release();
    }
  });
});
