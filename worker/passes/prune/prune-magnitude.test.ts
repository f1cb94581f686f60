import { describe, expect, it } from "vitest";
import { generateInputs } from "../../data/generate-inputs";
import { DTYPE, readTensorAsFloat32 } from "../../onnx/dtypes";
import { OnnxGraph } from "../../onnx/graph";
import type { TModelProto } from "../../onnx/onnx-proto";
import { createAttribute, createEmptyGraphProto, createNodeProto, createTensorValueInfo } from "../../onnx/onnx-proto";
import { wrapGraph } from "../../onnx/tiny-models.test-helper";
import { createRandom } from "../../data/generate-inputs";
import { createTensor } from "../../onnx/dtypes";
import { maxAbsDiff, runModel } from "./prune-graphs.test-helper";
import { applyNmPattern, pruneMagnitude, pruneNm } from "./prune-magnitude";

/** x[1,64] → MatMul 64×96 → Relu → MatMul 96×96 → Relu → MatMul 96×30 → Relu → MatMul 30×8 → y. */
function buildMlp(opset = 13, irVersion = 8): TModelProto {
  const g = createEmptyGraphProto("mlp");
  const rand = createRandom(7);
  g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [1, 64]));
  g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [1, 8]));
  const sizes = [64, 96, 96, 30, 8];
  let prev = "x";
  for (let i = 0; i < sizes.length - 1; i++) {
    const n = sizes[i] * sizes[i + 1];
    g.initializer.push(createTensor(`w${i}`, DTYPE.FLOAT, [sizes[i], sizes[i + 1]], Array.from({ length: n }, () => rand() * 2 - 1)));
    const out = i === sizes.length - 2 ? "y" : `h${i}`;
    g.node.push(createNodeProto("MatMul", [prev, `w${i}`], [i === sizes.length - 2 ? out : `${out}_mm`], { name: `fc${i}` }));
    if (i < sizes.length - 2) g.node.push(createNodeProto("Relu", [`${out}_mm`], [out], { name: `relu${i}` }));
    prev = out;
  }
  return wrapGraph(g, { opset, irVersion });
}

function zerosOf(values: Float32Array): number {
  return values.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
}

function denseWeight(model: TModelProto, name: string): Float32Array {
  return readTensorAsFloat32(new OnnxGraph(model.graph!).findInitializer(name)!);
}

describe("prune-magnitude", () => {
  it("zeros 50% of each unprotected layer and keeps the first/last layers dense", () => {
    const r = pruneMagnitude(buildMlp(), { sparsity: 0.5, storage: "dense" });
    expect(zerosOf(denseWeight(r.maskedDenseModel, "w1"))).toBe(96 * 96 / 2);
    expect(zerosOf(denseWeight(r.maskedDenseModel, "w2"))).toBe(Math.floor(96 * 30 / 2));
    expect(zerosOf(denseWeight(r.maskedDenseModel, "w0"))).toBe(0);
    expect(zerosOf(denseWeight(r.maskedDenseModel, "w3"))).toBe(0);
    expect(r.report.skipped.map((s) => s.reason)).toEqual(["first weight layer (protected)", "last weight layer (protected)"]);
    expect(r.report.layers.map((l) => l.sparsity)).toEqual([0.5, 0.5]);
  });

  it("zeros the smallest magnitudes", () => {
    const model = buildMlp();
    const before = denseWeight(model, "w1");
    const after = denseWeight(pruneMagnitude(model, { storage: "dense" }).maskedDenseModel, "w1");
    let maxZeroed = 0;
    let minKept = Infinity;
    after.forEach((v, i) => {
      if (v === 0) maxZeroed = Math.max(maxZeroed, Math.abs(before[i]));
      else minKept = Math.min(minKept, Math.abs(v));
    });
    expect(maxZeroed).toBeLessThanOrEqual(minKept);
  });

  it("global scope uses one threshold across layers", () => {
    const r = pruneMagnitude(buildMlp(), { sparsity: 0.6, scope: "global", protectFirstLast: false, storage: "dense" });
    const all = ["w0", "w1", "w2", "w3"].map((n) => denseWeight(r.maskedDenseModel, n));
    const total = all.reduce((a, w) => a + w.length, 0);
    expect(all.reduce((a, w) => a + zerosOf(w), 0)).toBe(Math.floor(0.6 * total));
    expect(r.report.sparsity).toBeCloseTo(0.6, 3);
  });

  for (const storage of ["sparse-initializer", "bitmask"] as const) {
    it(`${storage} storage: onnxruntime outputs equal the masked-dense model's, and the file is smaller`, async () => {
      const model = buildMlp();
      const r = pruneMagnitude(model, { sparsity: 0.8, storage, minWeightElements: 1 });
      expect(r.report.layers.every((l) => l.storage === storage)).toBe(true);
      if (storage === "sparse-initializer") expect(r.model.graph!.sparseInitializer.length).toBe(2);
      const feeds = generateInputs(model, { seed: 1 });
      const sparse = await runModel(r.model, feeds);
      const dense = await runModel(r.maskedDenseModel, feeds);
      expect(maxAbsDiff(sparse, dense)).toBeLessThan(1e-6);
      expect(r.report.size!.sizeBytes).toBeLessThan(r.report.size!.denseSizeBytes * 0.75);
      expect(r.report.size!.gzipSizeBytes).toBeGreaterThan(0);
    });
  }

  it("bitmask storage at 50% sparsity is at most 0.6x of dense for the pruned weights", () => {
    const r = pruneMagnitude(buildMlp(), { sparsity: 0.5, storage: "auto", protectFirstLast: false });
    expect(r.report.layers.filter((l) => l.storage === "bitmask").length).toBeGreaterThanOrEqual(2);
    expect(r.report.size!.sizeBytes / r.report.size!.denseSizeBytes).toBeLessThan(0.6);
  });

  it("raises an opset-9 model to 13 for the bitmask storage; outputs still equal the masked-dense model's", async () => {
    const model = buildMlp(9, 8);
    const r = pruneMagnitude(model, { sparsity: 0.5, storage: "auto", protectFirstLast: false });
    expect(r.report.layers.filter((l) => l.storage === "bitmask").length).toBeGreaterThanOrEqual(2);
    expect(r.model.opsetImport.find((o) => !o.domain)!.version).toBe(13);
    expect(r.warnings.join(" ")).toContain("raised the model from opset 9 to 13");
    expect(r.report.settings).toMatchObject({ opsetUpgradedFrom: 9 });
    const feeds = generateInputs(model, { seed: 2 });
    expect(maxAbsDiff(await runModel(r.model, feeds), await runModel(r.maskedDenseModel, feeds))).toBe(0);
    expect(maxAbsDiff(await runModel(r.model, feeds), await runModel(model, feeds))).toBeGreaterThan(1e-3);
    expect(r.report.size!.sizeBytes / r.report.size!.denseSizeBytes).toBeLessThan(0.6);
  });

  it("falls back to sparse initializers when an old model cannot be raised to the bitmask decoder's opset", () => {
    const model = buildMlp(9, 8);
    // Scatter (deprecated at opset 11) has no conversion: the model stays at opset 9.
    model.graph!.node.push(createNodeProto("Scatter", ["x", "x", "x"], ["unused"], { name: "scatter" }));
    const r = pruneMagnitude(model, { sparsity: 0.9, storage: "auto", protectFirstLast: false });
    expect(r.model.opsetImport.find((o) => !o.domain)!.version).toBe(9);
    expect(r.report.layers.every((l) => l.storage === "sparse-initializer")).toBe(true);
  });

  it("all bitmask weights share one decoder; weights with equal trailing dims share a Reshape", async () => {
    const model = buildMlp();
    const r = pruneMagnitude(model, { sparsity: 0.5, storage: "bitmask", protectFirstLast: false, minWeightElements: 1 });
    const g = r.model.graph!;
    expect(r.report.layers.length).toBe(4);
    expect(g.node.filter((n) => n.opType === "CumSum").length).toBe(1);
    // w0 [64,96] and w1 [96,96] form one family (split on axis 0); w2 [96,30] and w3 [30,8] are reshaped alone.
    expect(g.node.filter((n) => n.opType === "Split").length).toBe(2);
    expect(g.node.filter((n) => n.opType === "Reshape").length).toBe(2 + 3);
    const feeds = generateInputs(model, { seed: 4 });
    expect(maxAbsDiff(await runModel(r.model, feeds), await runModel(r.maskedDenseModel, feeds))).toBe(0);
  });
});

describe("prune-nm", () => {
  it("keeps at most n of every m weights along the input dimension", () => {
    const values = Float32Array.from({ length: 8 * 3 }, (_, i) => ((i * 37) % 11) - 5);
    const dims = [8, 3]; // MatMul [K, N]: blocks run down each column
    applyNmPattern(values, dims, 0, 2, 4);
    for (let col = 0; col < 3; col++) {
      for (let b = 0; b < 8; b += 4) {
        const block = [0, 1, 2, 3].map((j) => values[(b + j) * 3 + col]);
        expect(block.filter((v) => v !== 0).length).toBeLessThanOrEqual(2);
      }
    }
  });

  it("reports qualified layers and skips those whose input dimension is not a multiple of m", async () => {
    const model = buildMlp();
    const r = pruneNm(model, { protectFirstLast: false });
    expect(r.report.layers.map((l) => l.node)).toEqual(["fc0", "fc1", "fc2"]);
    expect(r.report.skipped).toEqual([{ node: "fc3", reason: "input dimension 30 is not a multiple of 4" }]);
    expect(r.report.layers.every((l) => l.sparsity === 0.5)).toBe(true);
    const out = await runModel(r.model, generateInputs(model));
    expect(out.length).toBe(8);
  });

  it("prunes Conv weights along input channels", () => {
    const g = createEmptyGraphProto("conv");
    g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [1, 8, 4, 4]));
    g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [1, 4, 4, 4]));
    const rand = createRandom(1);
    g.initializer.push(createTensor("w", DTYPE.FLOAT, [4, 8, 1, 1], Array.from({ length: 32 }, () => rand() + 0.1)));
    g.node.push(createNodeProto("Conv", ["x", "w"], ["y"], { name: "conv", attribute: [createAttribute("kernel_shape", [1, 1], { asInt: true })] }));
    const r = pruneNm(wrapGraph(g), { protectFirstLast: false, minWeightElements: 1 });
    const w = denseWeight(r.maskedDenseModel, "w");
    for (let o = 0; o < 4; o++) {
      for (let b = 0; b < 8; b += 4) expect([0, 1, 2, 3].filter((j) => w[o * 8 + b + j] !== 0).length).toBe(2);
    }
  });
});
