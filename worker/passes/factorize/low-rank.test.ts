import { describe, expect, it } from "vitest";
import { DTYPE, createTensor } from "../../onnx/dtypes";
import { encodeModel } from "../../onnx/model-io";
import { createAttribute, createEmptyGraphProto, createNodeProto, createTensorValueInfo, type TModelProto } from "../../onnx/onnx-proto";
import { wrapGraph } from "../../onnx/tiny-models.test-helper";
import { createInferenceSession } from "../../runtime/ort";
import { factorizeLowRank } from "./low-rank";

/** Rank-`r` matrix plus a little noise, so the kept energy decides the rank. */
function lowRankValues(m: number, n: number, r: number, noise: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < n; k++) {
      let v = 0;
      for (let j = 0; j < r; j++) v += Math.sin((i + 1) * (j + 1) * 0.31) * Math.cos((k + 2) * (j + 1) * 0.17) / (j + 1);
      out.push(v + noise * Math.sin(i * 12.9898 + k * 78.233));
    }
  }
  return out;
}

/** x[1,64] → MatMul W[64,48] → Gemm(transB) B[32,48] + C → y; and an image path Conv 3×3 16→24. */
function buildModel(): TModelProto {
  const g = createEmptyGraphProto("lr");
  g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [2, 64]));
  g.input.push(createTensorValueInfo("img", DTYPE.FLOAT, [1, 16, 8, 8]));
  g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [2, 32]));
  g.output.push(createTensorValueInfo("z", DTYPE.FLOAT, [1, 24, 8, 8]));
  g.initializer.push(createTensor("w", DTYPE.FLOAT, [64, 48], lowRankValues(64, 48, 4, 1e-4)));
  g.initializer.push(createTensor("b", DTYPE.FLOAT, [32, 48], lowRankValues(32, 48, 3, 1e-4)));
  g.initializer.push(createTensor("c", DTYPE.FLOAT, [32], Array.from({ length: 32 }, (_, i) => i * 0.01)));
  g.initializer.push(createTensor("k", DTYPE.FLOAT, [24, 16, 3, 3], lowRankValues(24, 144, 5, 1e-4)));
  g.initializer.push(createTensor("kb", DTYPE.FLOAT, [24], Array.from({ length: 24 }, (_, i) => -i * 0.02)));
  g.node.push(createNodeProto("MatMul", ["x", "w"], ["h"], { name: "fc1" }));
  g.node.push(createNodeProto("Gemm", ["h", "b", "c"], ["y"], { name: "fc2", attribute: [createAttribute("transB", 1, { asInt: true }), createAttribute("alpha", 0.5)] }));
  g.node.push(createNodeProto("Conv", ["img", "k", "kb"], ["z"], { name: "conv", attribute: [createAttribute("pads", [1, 1, 1, 1], { asInt: true }), createAttribute("kernel_shape", [3, 3], { asInt: true })] }));
  return wrapGraph(g, { opset: 13 });
}

async function runModel(model: TModelProto) {
  const s = await createInferenceSession(encodeModel(model), { intraOpThreads: 1 });
  try {
    const x = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i * 0.7));
    const img = Float32Array.from({ length: 1024 }, (_, i) => Math.cos(i * 0.3));
    const out = await s.run({ x: { type: "float32", dims: [2, 64], data: x }, img: { type: "float32", dims: [1, 16, 8, 8], data: img } });
    return { y: out.y.data as Float32Array, z: out.z.data as Float32Array };
  } finally {
    await s.release();
  }
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += a[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe("low-rank factorization", () => {
  it("factorizes MatMul, Gemm(transB) and Conv into thinner layers whose outputs match within the SVD error", async () => {
    const model = buildModel();
    const r = await factorizeLowRank(model, { energy: 0.9999, minWeightElements: 64, conv: "spatial" });
    expect(r.report.layers.map((l) => [l.node, l.method, l.ranks])).toEqual([
      ["fc1", "svd", [4]],
      ["fc2", "svd", [3]],
      ["conv", "svd", [5]],
    ]);
    for (const l of r.report.layers) expect(l.paramsAfter).toBeLessThan(0.8 * l.paramsBefore);
    const ops = r.model.graph!.node.map((n) => n.opType);
    expect(ops.filter((o) => o === "MatMul")).toHaveLength(3);
    expect(ops.filter((o) => o === "Gemm")).toHaveLength(1);
    expect(ops.filter((o) => o === "Conv")).toHaveLength(2);
    const before = await runModel(model);
    const after = await runModel(r.model);
    // Noise of 1e-4 is all that is dropped: outputs agree to ~1e-3 relative.
    expect(relativeError(before.y, after.y)).toBeLessThan(2e-3);
    expect(relativeError(before.z, after.z)).toBeLessThan(2e-3);
    expect(r.report.params.after).toBeLessThan(r.report.params.before * 0.25);
  });

  it("skips layers that would need too high a rank, with the reason", async () => {
    const g = createEmptyGraphProto("full");
    g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [1, 32]));
    g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [1, 32]));
    // A well-conditioned (orthogonal-like) matrix: every direction matters, so no rank saves parameters.
    g.initializer.push(createTensor("w", DTYPE.FLOAT, [32, 32], Array.from({ length: 1024 }, (_, i) => (Math.floor(i / 32) === i % 32 ? 1 : 0))));
    g.node.push(createNodeProto("MatMul", ["x", "w"], ["y"], { name: "eye" }));
    const r = await factorizeLowRank(wrapGraph(g), { energy: 0.9, minWeightElements: 64 });
    expect(r.report.layers).toHaveLength(0);
    expect(r.report.skipped[0]).toEqual({ node: "eye", reason: expect.stringContaining("keeping the energy needs rank") });
    expect(r.warnings[0]).toContain("factorized no layer");
  });

  it("meets a global parameter budget", async () => {
    const r = await factorizeLowRank(buildModel(), { targetParamsRatio: 0.1, minWeightElements: 64 });
    expect(r.report.params.after).toBeLessThanOrEqual(0.1 * r.report.params.before);
    expect(r.report.layers.length).toBeGreaterThan(0);
  });
});

describe("low-rank on big weights (onnxruntime SVD path)", () => {
  const n = 512;
  /** x [1, 512] → MatMul W [512, 512] → y: m·n·l above the plain-JS limit. */
  function buildBigModel(values: Float32Array): TModelProto {
    const g = createEmptyGraphProto("big");
    g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [1, n]));
    g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [1, n]));
    g.initializer.push(createTensor("w", DTYPE.FLOAT, [n, n], values));
    g.node.push(createNodeProto("MatMul", ["x", "w"], ["y"], { name: "fc" }));
    return wrapGraph(g, { opset: 13 });
  }

  it("finds the rank of a rank-20 512×512 weight, and skips a flat-spectrum one before sketching up to the cap", async () => {
    const lowRank = new Float32Array(n * n);
    for (let j = 0; j < 20; j++) {
      for (let i = 0; i < n; i++) {
        const u = Math.sin((i + 1) * (j + 1) * 0.013) / (j + 1);
        for (let k = 0; k < n; k++) lowRank[i * n + k] += u * Math.cos((k + 3) * (j + 2) * 0.007);
      }
    }
    const r = await factorizeLowRank(buildBigModel(lowRank), { energy: 0.999 });
    expect(r.report.layers).toEqual([expect.objectContaining({ node: "fc", method: "svd", ranks: [expect.any(Number)] })]);
    expect(r.report.layers[0].ranks[0]).toBeLessThanOrEqual(20);
    expect(r.report.layers[0].energyKept).toBeGreaterThanOrEqual(0.999 - 1e-9);
    // A flat spectrum: the bound after the first 128-column sketch shows no rank ≤ 204 keeps 90%.
    let seed = 7;
    const flat = Float32Array.from({ length: n * n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5);
    const skipped = await factorizeLowRank(buildBigModel(flat), { energy: 0.9 });
    expect(skipped.report.layers).toHaveLength(0);
    expect(skipped.report.skipped[0].reason).toMatch(/^keeping the energy needs rank > 128, above 204/);
  });
});
