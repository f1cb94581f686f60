import { describe, expect, it } from "vitest";
import { DTYPE, createTensor, readTensorAsFloat32, readTensorValues } from "../../onnx/dtypes";
import { encodeModel } from "../../onnx/model-io";
import { createEmptyGraphProto, createNodeProto, createTensorValueInfo, type TModelProto } from "../../onnx/onnx-proto";
import { wrapGraph } from "../../onnx/tiny-models.test-helper";
import { createInferenceSession } from "../../runtime/ort";
import { clusterWeights } from "./cluster";

const K = 64;
const N = 32;
const CONV_W = [7, 3, 3, 3];

/** y = x · W (W [64, 32], channels scaled 1..32× apart) and z = Conv(img, cw [7,3,3,3]): 2048 + 189 weights (odd total). */
function buildModel(opset = 13): TModelProto {
  const g = createEmptyGraphProto("cl");
  g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [K, K]));
  g.input.push(createTensorValueInfo("img", DTYPE.FLOAT, [1, 3, 5, 5]));
  g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [K, N]));
  g.output.push(createTensorValueInfo("z", DTYPE.FLOAT, [1, 7, 3, 3]));
  g.initializer.push(createTensor("w", DTYPE.FLOAT, [K, N], Array.from({ length: K * N }, (_, i) => Math.sin(i * 0.618) * (1 + (i % N)))));
  g.initializer.push(createTensor("cw", DTYPE.FLOAT, CONV_W, Array.from({ length: 189 }, (_, i) => Math.sin(i * 1.7))));
  g.node.push(createNodeProto("MatMul", ["x", "w"], ["y"], { name: "fc" }));
  g.node.push(createNodeProto("Conv", ["img", "cw"], ["z"], { name: "conv" }));
  return wrapGraph(g, { opset });
}

/** The decoded weights as onnxruntime computes them (the decode outputs made graph outputs). */
async function readDecodedWeights(model: TModelProto): Promise<{ w: Float32Array; cw: Float32Array }> {
  const m = structuredClone(model);
  m.graph!.output = [createTensorValueInfo("w", DTYPE.FLOAT, [K, N]), createTensorValueInfo("cw", DTYPE.FLOAT, CONV_W)];
  const s = await createInferenceSession(encodeModel(m), { intraOpThreads: 1 });
  try {
    const out = await s.run({ x: { type: "float32", dims: [K, K], data: new Float32Array(K * K) }, img: { type: "float32", dims: [1, 3, 5, 5], data: new Float32Array(75) } });
    return { w: out.w.data as Float32Array, cw: out.cw.data as Float32Array };
  } finally {
    await s.release();
  }
}

const initializerOf = (model: TModelProto, name: string) => model.graph!.initializer.find((t) => t.name === name)!;

describe("cluster (k-means weight sharing)", () => {
  it("per tensor, 8-bit indices: each weight decodes in onnxruntime exactly to codebook[indices], at its nearest centroid", async () => {
    const r = clusterWeights(buildModel(), { k: 16, minWeightElements: 64, indexBits: 8, granularity: "tensor" });
    expect(r.model.graph!.initializer.some((t) => t.name === "w")).toBe(false);
    const codebook = readTensorAsFloat32(initializerOf(r.model, "w_cluster_codebook"));
    const idx = initializerOf(r.model, "w_cluster_idx");
    expect(idx.dataType).toBe(DTYPE.UINT8);
    const indices = readTensorValues(idx) as Uint8Array;
    const decoded = (await readDecodedWeights(r.model)).w;
    for (let i = 0; i < decoded.length; i++) expect(decoded[i]).toBe(codebook[indices[i]]);
    expect(new Set(decoded).size).toBeLessThanOrEqual(16);
    const original = readTensorAsFloat32(buildModel().graph!.initializer[0]);
    // Every weight sits at its nearest centroid.
    for (let i = 0; i < original.length; i++) {
      const nearest = Math.min(...Array.from(codebook, (c) => Math.abs(original[i] - c)));
      expect(Math.abs(original[i] - decoded[i])).toBeLessThanOrEqual(nearest + 1e-6);
    }
  });

  it("k = 16 packs all weights' indices 4 bits each into one tensor (odd total, Split as attribute and as input) and decodes bit-identically", async () => {
    for (const opset of [9, 13]) {
      for (const granularity of ["tensor", "scaled"] as const) {
        const m8 = clusterWeights(buildModel(opset), { k: 16, minWeightElements: 64, indexBits: 8, granularity });
        const m4 = clusterWeights(buildModel(opset), { k: 16, minWeightElements: 64, granularity });
        expect(m4.report.layers.map((l) => l.indexBits)).toEqual([4, 4]);
        expect(initializerOf(m4.model, "cluster_idx4").dims.map(Number)).toEqual([Math.floor((K * N + 189) / 2)]);
        expect(m4.model.graph!.node.filter((n) => n.opType === "Split")).toHaveLength(1);
        // Same k-means, different index storage: every decoded value is bit-identical.
        expect(await readDecodedWeights(m4.model)).toEqual(await readDecodedWeights(m8.model));
        expect(m4.report.weightBytes.after).toBeLessThan(m8.report.weightBytes.after - 1000);
      }
    }
  });

  it("scaled: each weight decodes exactly to codebook[index] · scale[channel], one shared codebook of ≤ k values", async () => {
    const r = clusterWeights(buildModel(), { k: 16, minWeightElements: 64, indexBits: 8 });
    expect(r.report.settings.granularity).toBe("scaled");
    const codebook = readTensorAsFloat32(initializerOf(r.model, "w_cluster_codebook"));
    const scales = readTensorAsFloat32(initializerOf(r.model, "w_cluster_scale"));
    expect(scales).toHaveLength(N);
    const indices = readTensorValues(initializerOf(r.model, "w_cluster_idx")) as Uint8Array;
    const decoded = (await readDecodedWeights(r.model)).w;
    for (let i = 0; i < decoded.length; i++) expect(decoded[i]).toBe(Math.fround(codebook[indices[i]] * scales[i % N]));
    // Channels 32× apart in scale keep the same relative accuracy: the worst relative channel error stays small.
    const original = readTensorAsFloat32(buildModel().graph!.initializer[0]);
    for (let c = 0; c < N; c++) {
      let err = 0;
      let norm = 0;
      for (let i = c; i < original.length; i += N) {
        err += (original[i] - decoded[i]) ** 2;
        norm += original[i] ** 2;
      }
      expect(Math.sqrt(err / norm)).toBeLessThan(0.1);
    }
  });

  it("per channel with an int8 codebook: each output column uses its own k values", async () => {
    const r = clusterWeights(buildModel(), { k: 4, granularity: "channel", codebookType: "int8", minWeightElements: 64 });
    expect(r.model.graph!.node.map((n) => n.opType)).toEqual(expect.arrayContaining(["Cast", "Add", "DequantizeLinear", "Gather", "MatMul"]));
    const decoded = (await readDecodedWeights(r.model)).w;
    for (let c = 0; c < N; c++) {
      const column = new Set(Array.from({ length: K }, (_, i) => decoded[i * N + c]));
      expect(column.size).toBeLessThanOrEqual(4);
    }
    expect(r.report.layers[0]).toEqual({ node: "fc", weight: "w", granularity: "channel", elements: K * N, codebooks: N, k: 4, indexBits: 4 });
  });

  it("scaled: channels below 1e-30 decode to exact zeros (no float32 denormals), non-finite weights are skipped", async () => {
    const g = buildModel();
    // Column 0 of W is ~1e-33: codebook·scale would be denormal there.
    const w = readTensorAsFloat32(g.graph!.initializer[0]).map((v, i) => (i % N === 0 ? v * 1e-33 : v));
    g.graph!.initializer[0] = createTensor("w", DTYPE.FLOAT, [K, N], w);
    g.graph!.initializer[1] = createTensor("cw", DTYPE.FLOAT, CONV_W, Array.from({ length: 189 }, (_, i) => (i === 5 ? Number.NaN : 1)));
    const r = clusterWeights(g, { k: 16, minWeightElements: 64 });
    expect(r.warnings).toContain("cluster: 1 output channels with max |w| < 1e-30 decode to exact zeros");
    expect(r.report.skipped).toEqual([{ node: "conv", reason: "weight has NaN or infinite values" }]);
    const probe = structuredClone(r.model);
    probe.graph!.output = [createTensorValueInfo("w", DTYPE.FLOAT, [K, N])];
    const s = await createInferenceSession(encodeModel(probe), { intraOpThreads: 1 });
    try {
      const out = await s.run({ x: { type: "float32", dims: [K, K], data: new Float32Array(K * K) }, img: { type: "float32", dims: [1, 3, 5, 5], data: new Float32Array(75) } });
      const decoded = out.w.data as Float32Array;
      for (let i = 0; i < decoded.length; i += N) expect(decoded[i]).toBe(0);
      expect(decoded.every((v) => v === 0 || Math.abs(v) >= 1.18e-38)).toBe(true);
    } finally {
      await s.release();
    }
  });

  it("keeps exact zeros of pruned weights", () => {
    const g = buildModel();
    const w = readTensorAsFloat32(g.graph!.initializer[0]).map((v, i) => (i % 2 ? 0 : v));
    g.graph!.initializer[0] = createTensor("w", DTYPE.FLOAT, [K, N], w);
    const r = clusterWeights(g, { k: 8, minWeightElements: 64 });
    const codebook = readTensorAsFloat32(initializerOf(r.model, "w_cluster_codebook"));
    expect([...codebook]).toContain(0);
  });

  it("folds BatchNormalization into the Conv before clustering, so its parameters do not stay float", async () => {
    const g = createEmptyGraphProto("bn");
    g.input.push(createTensorValueInfo("img", DTYPE.FLOAT, [1, 3, 5, 5]));
    g.output.push(createTensorValueInfo("z", DTYPE.FLOAT, [1, 7, 3, 3]));
    g.initializer.push(createTensor("cw", DTYPE.FLOAT, CONV_W, Array.from({ length: 189 }, (_, i) => Math.sin(i * 1.7))));
    const vec = (f: (c: number) => number) => Array.from({ length: 7 }, (_, c) => f(c));
    g.initializer.push(createTensor("gamma", DTYPE.FLOAT, [7], vec((c) => 0.5 + c)));
    g.initializer.push(createTensor("beta", DTYPE.FLOAT, [7], vec((c) => c * 0.1)));
    g.initializer.push(createTensor("mean", DTYPE.FLOAT, [7], vec((c) => -c * 0.05)));
    g.initializer.push(createTensor("var", DTYPE.FLOAT, [7], vec((c) => 1 + c * 0.3)));
    g.node.push(createNodeProto("Conv", ["img", "cw"], ["h"], { name: "conv" }));
    g.node.push(createNodeProto("BatchNormalization", ["h", "gamma", "beta", "mean", "var"], ["z"], { name: "bn" }));
    const model = wrapGraph(g, { opset: 13 });
    const r = clusterWeights(model, { k: 256, indexBits: 8, minWeightElements: 64 });
    expect(r.report.batchNormsFolded).toBe(1);
    expect(r.model.graph!.node.map((n) => n.opType)).not.toContain("BatchNormalization");
    expect(r.model.graph!.initializer.map((t) => t.name)).not.toContain("gamma");
    const run = async (m: TModelProto) => {
      const s = await createInferenceSession(encodeModel(m), { intraOpThreads: 1 });
      try {
        const img = Float32Array.from({ length: 75 }, (_, i) => Math.cos(i));
        return (await s.run({ img: { type: "float32", dims: [1, 3, 5, 5], data: img } })).z.data as Float32Array;
      } finally {
        await s.release();
      }
    };
    const [a, b] = [await run(model), await run(r.model)];
    // 189 weights into ≤ 256 clusters: (nearly) every value keeps its own centroid.
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 3);
  });
});
