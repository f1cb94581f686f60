import { describe, expect, it } from "vitest";
import { clipGradientsByGlobalNorm, computeLearningRate, createOptimizer } from "./optimizers";

/** Minimises f(p) = Σ (p_i - target_i)² for `steps` steps; returns the final distance to the target. */
function minimise(kind: "sgd" | "adamw", steps: number, lr: number): number {
  const target = Float32Array.from([1, -2, 3]);
  const params = new Map([["w", new Float32Array(3)]]);
  const opt = createOptimizer(
    kind === "sgd" ? { kind, momentum: 0.9, weightDecay: 0 } : { kind, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    new Set(),
  );
  for (let s = 0; s < steps; s++) {
    const w = params.get("w")!;
    const g = Float32Array.from(w, (v, i) => 2 * (v - target[i]!));
    opt.step(params, new Map([["w", g]]), lr);
  }
  return Math.hypot(...Array.from(params.get("w")!, (v, i) => v - target[i]!));
}

describe("optimizers", () => {
  it("SGD with momentum and AdamW converge on a quadratic", () => {
    expect(minimise("sgd", 200, 0.02)).toBeLessThan(1e-3);
    expect(minimise("adamw", 500, 0.05)).toBeLessThan(1e-2);
  });

  it("AdamW's first step moves each weight by lr (bias-corrected), and decays only listed tensors", () => {
    const params = new Map([
      ["w", Float32Array.from([1, 1])],
      ["b", Float32Array.from([1])],
    ]);
    const opt = createOptimizer({ kind: "adamw", beta1: 0.9, beta2: 0.999, epsilon: 1e-12, weightDecay: 0.5 }, new Set(["w"]));
    opt.step(params, new Map([["w", Float32Array.from([3, -0.01])], ["b", Float32Array.from([5])]]), 0.1);
    // w: 1 - 0.1 * (sign(g) + 0.5 * 1); b: 1 - 0.1 * 1 (no decay)
    expect(params.get("w")![0]).toBeCloseTo(0.85, 5);
    expect(params.get("w")![1]).toBeCloseTo(1.05, 5);
    expect(params.get("b")![0]).toBeCloseTo(0.9, 5);
  });

  it("warm-up rises linearly, cosine decays to the floor", () => {
    const o = { baseLr: 1, warmupSteps: 4, totalSteps: 104, minLrRatio: 0.1 };
    expect([0, 1, 3].map((s) => computeLearningRate(s, o))).toEqual([0.25, 0.5, 1]);
    expect(computeLearningRate(54, o)).toBeCloseTo(0.55, 5);
    expect(computeLearningRate(104, o)).toBeCloseTo(0.1, 5);
  });

  it("clips gradients to the global norm and reports the norm before clipping", () => {
    const grads = new Map([
      ["a", Float32Array.from([3, 0])],
      ["b", Float32Array.from([4])],
    ]);
    expect(clipGradientsByGlobalNorm(grads, 1)).toBeCloseTo(5, 5);
    expect(grads.get("a")![0]).toBeCloseTo(0.6, 5);
    expect(grads.get("b")![0]).toBeCloseTo(0.8, 5);
  });
});
