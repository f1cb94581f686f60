import { describe, expect, it } from "vitest";
import { encodeModel } from "../../onnx/model-io";
import { runInt4Weight } from "./int4-weight";
import { createFloatTensor, createNodeProto, DTYPE, findAttribute, indexGraph, readFloatTensor } from "./onnx-helpers";
import { dequantizeMatMulNBits } from "./numerics/int4";
import { createAttribute, createEmptyGraphProto, createTensorValueInfo, type TModelProto } from "../../onnx/onnx-proto";

function buildSingleMatMul(w: Float32Array, K: number, N: number): TModelProto {
  const graph = createEmptyGraphProto("g");
  graph.node = [createNodeProto("MatMul", ["x", "w"], ["y"], { name: "mm" })];
  graph.initializer = [createFloatTensor("w", [K, N], w)];
  graph.input = [createTensorValueInfo("x", DTYPE.FLOAT, ["rows", K])];
  graph.output = [createTensorValueInfo("y", DTYPE.FLOAT, ["rows", N])];
  return { irVersion: 8, opsetImport: [{ domain: "", version: 13 }], graph, metadataProps: [], trainingInfo: [], functions: [] };
}
import { buildMlpBlock, computeCosine, countOps, createRandomFeeds, runModel } from "./testing/build-models";

function mse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

describe("int4-weight (MatMulNBits)", () => {
  for (const blockSize of [32, 64, 128] as const) {
    for (const symmetric of [true, false]) {
      it(`block ${blockSize}, ${symmetric ? "symmetric" : "asymmetric"}: runs in onnxruntime close to float`, async () => {
        const model = buildMlpBlock();
        const res = await runInt4Weight(model, { blockSize, symmetric, method: "rtn" });
        const g = res.model.graph!;
        const nodes = g.node.filter((n) => n.opType === "MatMulNBits");
        expect(nodes.length).toBe(3);
        const up = nodes.find((n) => Number(findAttribute(n, "N")!.i) === 256)!;
        expect(Number(findAttribute(up, "K")!.i)).toBe(64);
        expect(Number(findAttribute(up, "block_size")!.i)).toBe(blockSize);
        expect(up.input.length).toBe(symmetric ? 3 : 4);
        const packed = indexGraph(g).initializers.get(up.input[1])!;
        expect(packed.dims).toEqual([256, Math.ceil(64 / blockSize), blockSize / 2]);
        const feeds = createRandomFeeds("x", [2, 16, 64], 9);
        const ref = await runModel(model, feeds);
        const out = await runModel(res.model, feeds);
        // Random weights through a softmax attention: 4-bit error is visible but bounded.
        expect(computeCosine(ref.y.data as Float32Array, out.y.data as Float32Array)).toBeGreaterThan(0.9);
      });

      it(`block ${blockSize}, ${symmetric ? "symmetric" : "asymmetric"}: onnxruntime computes exactly x·dequant(W), K not a multiple of the block`, async () => {
        const K = 80;
        const N = 24;
        const w = createRandomFeeds("w", [K, N], 3, 0.2).w.data as Float32Array;
        const model = buildSingleMatMul(w, K, N);
        const res = await runInt4Weight(model, { blockSize, symmetric, method: "rtn", minWeightElements: 0 });
        const node = res.model.graph!.node[0];
        const idx = indexGraph(res.model.graph!);
        const blocksPerCol = Math.ceil(K / blockSize);
        const deq = dequantizeMatMulNBits({
          K,
          N,
          blockSize,
          blocksPerCol,
          packed: idx.initializers.get(node.input[1])!.rawData!,
          scales: readFloatTensor(idx.initializers.get(node.input[2])!),
          zeroPoints: node.input[3] ? idx.initializers.get(node.input[3])!.rawData! : undefined,
        });
        const feeds = createRandomFeeds("x", [3, K], 4);
        const x = feeds.x.data as Float32Array;
        const out = (await runModel(res.model, feeds)).y.data as Float32Array;
        let maxErr = 0;
        let maxAbs = 0;
        for (let r = 0; r < 3; r++) {
          for (let n = 0; n < N; n++) {
            let v = 0;
            for (let k = 0; k < K; k++) v += x[r * K + k] * deq[k * N + n];
            maxErr = Math.max(maxErr, Math.abs(v - out[r * N + n]));
            maxAbs = Math.max(maxAbs, Math.abs(v));
          }
        }
        expect(maxErr).toBeLessThan(1e-4 * Math.max(1, maxAbs));
        // And the dequantized weights are within half a step of the originals (symmetric: the value opposite the
        // block's largest magnitude can clip by one step, as in MLAS, which maps that magnitude to -8 exactly).
        const tol = symmetric ? 1 : 0.5;
        const steps = readFloatTensor(idx.initializers.get(node.input[2])!);
        for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) {
          expect(Math.abs(deq[k * N + n] - w[k * N + n])).toBeLessThanOrEqual(Math.abs(steps[n * blocksPerCol + Math.floor(k / blockSize)]) * tol + 1e-6);
        }
      });
    }
  }

  it("makes a MatMul-heavy model ≤ 0.17 of its float size", async () => {
    const model = buildMlpBlock({ dim: 256, hidden: 1024 });
    const res = await runInt4Weight(model, { blockSize: 32, symmetric: true });
    expect(encodeModel(res.model).length / encodeModel(model).length).toBeLessThan(0.17);
  });

  it("with calibration data uses GPTQ, which beats round-to-nearest on the model output", async () => {
    const model = buildMlpBlock({ seed: 4 });
    // Correlated activations (a shared offset per sample) are where GPTQ's error compensation matters.
    const sample = (seed: number) => {
      const f = createRandomFeeds("x", [4, 16, 64], seed);
      const d = f.x.data as Float32Array;
      for (let i = 0; i < d.length; i++) d[i] = d[i] * 0.5 + Math.sin(i % 64) * 1.5;
      return f;
    };
    async function* calib() {
      for (let i = 0; i < 6; i++) yield sample(200 + i);
    }
    const gptq = await runInt4Weight(model, { calibration: calib(), blockSize: 32, symmetric: false });
    expect(gptq.stats.method).toBe("gptq");
    expect(gptq.stats.calibrationBatches).toBe(6);
    const rtn = await runInt4Weight(model, { blockSize: 32, symmetric: false });
    expect(rtn.stats.method).toBe("rtn");
    const feeds = sample(999);
    const ref = (await runModel(model, feeds)).y.data as Float32Array;
    const eG = mse(ref, (await runModel(gptq.model, feeds)).y.data as Float32Array);
    const eR = mse(ref, (await runModel(rtn.model, feeds)).y.data as Float32Array);
    expect(eG).toBeLessThan(eR);
    expect(countOps(gptq.model).MatMulNBits).toBe(3);
  });

  it("gptq without calibration data is a clear input error", async () => {
    await expect(runInt4Weight(buildMlpBlock(), { method: "gptq" })).rejects.toThrow(/needs calibration data/);
  });

  it("hands a model without MatMul back byte-identical, without touching its Constant nodes", async () => {
    const graph = createEmptyGraphProto("no-matmul");
    graph.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [1, 4]));
    graph.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [1, 4]));
    graph.node.push(createNodeProto("Constant", [], ["w"], { attribute: [createAttribute("value", createFloatTensor("", [4], Float32Array.of(1, 2, 3, 4)))] }));
    graph.node.push(createNodeProto("Mul", ["x", "w"], ["y"]));
    const model: TModelProto = { irVersion: 8, opsetImport: [{ domain: "", version: 13 }], graph, metadataProps: [], trainingInfo: [], functions: [] };
    const res = await runInt4Weight(model);
    expect(res.stats.quantizedNodes).toEqual([]);
    expect(res.warnings[0]).toMatch(/no MatMul .* the model is unchanged/);
    expect(Buffer.from(encodeModel(res.model)).equals(Buffer.from(encodeModel(model)))).toBe(true);
  });
});
