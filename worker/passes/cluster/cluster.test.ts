import { describe, expect, it } from "vitest";
import { DTYPE, createTensor, readTensorAsFloat32, readTensorValues } from "../../onnx/dtypes";
import { encodeModel } from "../../onnx/model-io";
import { createEmptyGraphProto, createNodeProto, createTensorValueInfo, type TModelProto } from "../../onnx/onnx-proto";
import { wrapGraph } from "../../onnx/tiny-models.test-helper";
import { createInferenceSession } from "../../runtime/ort";
import { clusterWeights } from "./cluster";

const K = 64;
const N = 32;

/** y = x · W with W [64, 32]; feeding the identity as x reads W back out of the running graph. */
function buildModel(): TModelProto {
  const g = createEmptyGraphProto("cl");
  g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [K, K]));
  g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [K, N]));
  g.initializer.push(createTensor("w", DTYPE.FLOAT, [K, N], Array.from({ length: K * N }, (_, i) => Math.sin(i * 0.618) * (1 + (i % 7)))));
  g.node.push(createNodeProto("MatMul", ["x", "w"], ["y"], { name: "fc" }));
  return wrapGraph(g, { opset: 13 });
}

async function readDecodedWeight(model: TModelProto): Promise<Float32Array> {
  const s = await createInferenceSession(encodeModel(model), { intraOpThreads: 1 });
  try {
    const eye = new Float32Array(K * K);
    for (let i = 0; i < K; i++) eye[i * K + i] = 1;
    return (await s.run({ x: { type: "float32", dims: [K, K], data: eye } })).y.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe("cluster (k-means weight sharing)", () => {
  it("per tensor: the weight decodes in onnxruntime exactly to codebook[indices], with at most k values", async () => {
    const r = clusterWeights(buildModel(), { k: 16, minWeightElements: 64 });
    const init = new Map(r.model.graph!.initializer.map((t) => [t.name, t]));
    expect(init.has("w")).toBe(false);
    const codebook = readTensorAsFloat32(init.get("w_cluster_codebook")!);
    const idx = init.get("w_cluster_idx")!;
    expect(idx.dataType).toBe(DTYPE.UINT8);
    const indices = readTensorValues(idx) as Uint8Array;
    const decoded = await readDecodedWeight(r.model);
    for (let i = 0; i < decoded.length; i++) expect(decoded[i]).toBe(codebook[indices[i]]);
    expect(new Set(decoded).size).toBeLessThanOrEqual(16);
    expect(r.report.weightBytes.after / r.report.weightBytes.before).toBeLessThan(0.3);
    // Each weight sits at its nearest centroid: error at most half the widest gap between centroids.
    const original = readTensorAsFloat32(buildModel().graph!.initializer[0]);
    const sorted = [...codebook].sort((a, b) => a - b);
    const maxGap = Math.max(...sorted.slice(1).map((v, i) => v - sorted[i]));
    for (let i = 0; i < original.length; i++) expect(Math.abs(original[i] - decoded[i])).toBeLessThanOrEqual(maxGap / 2 + 1e-6);
  });

  it("per channel with an int8 codebook: each output column uses its own k values", async () => {
    const r = clusterWeights(buildModel(), { k: 4, granularity: "channel", codebookType: "int8", minWeightElements: 64 });
    expect(r.model.graph!.node.map((n) => n.opType)).toEqual(expect.arrayContaining(["Cast", "Add", "DequantizeLinear", "Gather", "MatMul"]));
    const decoded = await readDecodedWeight(r.model);
    for (let c = 0; c < N; c++) {
      const column = new Set(Array.from({ length: K }, (_, i) => decoded[i * N + c]));
      expect(column.size).toBeLessThanOrEqual(4);
    }
    expect(r.report.layers).toEqual([{ node: "fc", weight: "w", elements: K * N, codebooks: N, k: 4 }]);
  });

  it("keeps exact zeros of pruned weights", () => {
    const g = buildModel();
    const w = readTensorAsFloat32(g.graph!.initializer[0]).map((v, i) => (i % 2 ? 0 : v));
    g.graph!.initializer[0] = createTensor("w", DTYPE.FLOAT, [K, N], w);
    const r = clusterWeights(g, { k: 8, minWeightElements: 64 });
    const codebook = readTensorAsFloat32(r.model.graph!.initializer.find((t) => t.name === "w_cluster_codebook")!);
    expect([...codebook]).toContain(0);
  });
});
