import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { decodeModel, encodeModel } from "../../onnx/model-io";
import { isAppError } from "../../../contracts/app-error";
import { runInt8Static, quantizeInt8Static } from "./int8-static";
import { indexGraph, readFloatTensor, readIntTensor, getDefaultOpset, findAttribute } from "./onnx-helpers";
import { buildConvNet, buildMlpBlock, computeCosine, countOps, createRandomFeeds, runModel } from "./testing/build-models";

const X_DIMS = [1, 3, 16, 16];
async function* calibration(n = 6) {
  for (let i = 0; i < n; i++) yield createRandomFeeds("x", X_DIMS, 100 + i);
}

async function optimizedOps(model: ReturnType<typeof buildConvNet>) {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "qdq-")), "opt.onnx");
  await runModel(model, createRandomFeeds("x", X_DIMS, 1), { optimizedModelFilePath: file });
  return countOps(decodeModel(readFileSync(file)));
}

describe("int8-static (QDQ)", () => {
  it("quantizes a CNN so onnxruntime fuses every Conv and the Gemm, staying close to float", async () => {
    const model = buildConvNet();
    const before = encodeModel(model);
    const res = await runInt8Static(model, { calibration: calibration(), calibrationMethod: "minmax" });
    // The input model is untouched.
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(before))).toBe(true);
    expect(res.stats.quantizedNodes.sort()).toEqual(["Conv_1", "Conv_10", "Conv_5", "Conv_7", "Gemm_14"]);
    expect(getDefaultOpset(res.model)).toBeGreaterThanOrEqual(13);
    const ops = await optimizedOps(res.model);
    expect(ops.QLinearConv).toBe(4);
    expect(ops.QGemm).toBe(1);
    expect(ops.Conv ?? 0).toBe(0);
    // Arithmetic handlers: the residual Add, the Concat and the pooling run on uint8 too.
    expect(ops.QLinearAdd).toBe(1);
    expect(ops.QLinearConcat).toBe(1);
    expect(ops.QLinearGlobalAveragePool).toBe(1);
    const feeds = createRandomFeeds("x", X_DIMS, 42);
    const ref = await runModel(model, feeds);
    const out = await runModel(res.model, feeds);
    expect(computeCosine(ref.y.data as Float32Array, out.y.data as Float32Array)).toBeGreaterThan(0.995);
  });

  it("stores int8 per-channel weights on axis 0, int32 biases with scale input×weight, and zero point 0 after Relu", async () => {
    const res = await runInt8Static(buildConvNet(), { calibration: calibration(), calibrationMethod: "minmax" });
    const g = res.model.graph!;
    const idx = indexGraph(g);
    const conv = g.node.find((n) => n.name === "Conv_5")!;
    const wDq = idx.producer.get(conv.input[1])!;
    expect(wDq.opType).toBe("DequantizeLinear");
    expect(Number(findAttribute(wDq, "axis")!.i)).toBe(0);
    expect(idx.initializers.get(wDq.input[0])!.dataType).toBe(3); // int8
    const wScale = readFloatTensor(idx.initializers.get(wDq.input[1])!);
    expect(wScale.length).toBe(16);
    const xDq = idx.producer.get(conv.input[0])!;
    const xScale = readFloatTensor(idx.initializers.get(xDq.input[1])!)[0];
    const bDq = idx.producer.get(conv.input[2])!;
    expect(idx.initializers.get(bDq.input[0])!.dataType).toBe(6); // int32
    const bScale = readFloatTensor(idx.initializers.get(bDq.input[1])!);
    for (let c = 0; c < 16; c++) expect(bScale[c]).toBe(Math.fround(xScale * wScale[c]));
    // Conv_1 → (BN folded) → Relu: the Q sits after the Relu with zero point 0 so ORT absorbs the Relu.
    const relu = g.node.find((n) => n.opType === "Relu")!;
    const q = idx.consumers.get(relu.output[0])!.find((n) => n.opType === "QuantizeLinear")!;
    expect(readIntTensor(idx.initializers.get(q.input[2])!)).toEqual([0]);
    expect(g.node.some((n) => n.opType === "BatchNormalization")).toBe(false);
  });

  it("shares the input's scale through MaxPool/Resize and supports symmetric and int8 activations", async () => {
    const res = await runInt8Static(buildConvNet(), { calibration: calibration(3) });
    const g = res.model.graph!;
    const idx = indexGraph(g);
    for (const op of ["MaxPool", "Resize"]) {
      const node = g.node.find((n) => n.opType === op)!;
      const inDq = idx.producer.get(node.input[0])!;
      const outQ = g.node.find((n) => n.opType === "QuantizeLinear" && n.input[0] === node.output[0])!;
      expect(inDq.opType).toBe("DequantizeLinear");
      expect(readFloatTensor(idx.initializers.get(outQ.input[1])!)).toEqual(readFloatTensor(idx.initializers.get(inDq.input[1])!));
    }
    const sym = await runInt8Static(buildConvNet(), { calibration: calibration(3), activationSymmetric: true });
    const zps = sym.model.graph!.node.filter((n) => n.opType === "QuantizeLinear").map((q) => readIntTensor(indexGraph(sym.model.graph!).initializers.get(q.input[2])!)[0]);
    expect(new Set(zps)).toEqual(new Set([128]));
    const s8 = await runInt8Static(buildConvNet(), { calibration: calibration(3), activationType: "int8" });
    const feeds = createRandomFeeds("x", X_DIMS, 42);
    const ref = await runModel(buildConvNet(), feeds);
    for (const m of [sym.model, s8.model]) {
      const out = await runModel(m, feeds);
      expect(computeCosine(ref.y.data as Float32Array, out.y.data as Float32Array)).toBeGreaterThan(0.99);
    }
  });

  it("honours nodesToExclude, opTypesToExclude and nodesToInclude", async () => {
    const excluded = await runInt8Static(buildConvNet(), { calibration: calibration(3), nodesToExclude: ["Conv_5"], opTypesToExclude: ["Gemm"] });
    // Conv_7 reads Conv_5's (clipped) output, which must stay unquantized or ORT would fuse Conv_5 anyway.
    expect(excluded.stats.quantizedNodes.sort()).toEqual(["Conv_1", "Conv_10"]);
    const g = excluded.model.graph!;
    const idx = indexGraph(g);
    const conv5 = g.node.find((n) => n.name === "Conv_5")!;
    expect(idx.initializers.get(conv5.input[1])!.dataType).toBe(1); // float weight kept
    const ops = await optimizedOps(excluded.model);
    expect(ops.QLinearConv).toBe(2);
    expect(ops.QGemm ?? 0).toBe(0);
    const only = await runInt8Static(buildConvNet(), { calibration: calibration(3), nodesToInclude: ["Conv_7"] });
    expect(only.stats.quantizedNodes).toEqual(["Conv_7"]);
  });

  it("uses per-tensor weights when perChannel is off", async () => {
    const res = await runInt8Static(buildConvNet({ opset: 11 }), { calibration: calibration(3), perChannel: false });
    const g = res.model.graph!;
    const dq = g.node.filter((n) => n.opType === "DequantizeLinear");
    expect(dq.every((n) => !findAttribute(n, "axis"))).toBe(true);
    const ops = await optimizedOps(res.model);
    expect(ops.QLinearConv).toBe(4);
  });

  it("quantizes MatMuls between activations (attention scores) too", async () => {
    const model = buildMlpBlock();
    async function* calib() {
      for (let i = 0; i < 4; i++) yield createRandomFeeds("x", [2, 16, 64], 10 + i);
    }
    // No fidelity fallback: this is about which MatMuls get QDQ, not about keeping any in float.
    const res = await runInt8Static(model, { calibration: calib(), fidelityTarget: 0 });
    expect(res.stats.quantizedNodes.length).toBe(3);
    const feeds = createRandomFeeds("x", [2, 16, 64], 99);
    const ref = await runModel(model, feeds);
    const out = await runModel(res.model, feeds);
    expect(computeCosine(ref.y.data as Float32Array, out.y.data as Float32Array)).toBeGreaterThan(0.99);
  });

  it("measures layer sensitivity and keeps the worst layers in float on request", async () => {
    const res = await runInt8Static(buildConvNet(), { calibration: calibration(3), sensitiveNodesToKeepFloat: 2 });
    expect(res.stats.sensitivity.length).toBe(5);
    expect(res.stats.sensitivity[0].cosine).toBeLessThanOrEqual(res.stats.sensitivity[4].cosine);
    expect(res.stats.quantizedNodes.length).toBe(3);
    expect(res.warnings.some((w) => w.includes("most sensitive layers in float"))).toBe(true);
  });

  it("refuses to quantize an already quantized model, saying why", async () => {
    const once = await quantizeInt8Static(buildConvNet(), { calibration: calibration(2) });
    const err = await quantizeInt8Static(once, { calibration: calibration(2) }).catch((e) => e);
    expect(isAppError(err)).toBe(true);
    expect(err.code).toBe("UNPROCESSABLE");
    expect(err.userMessage).toMatch(/already int8 .*QuantizeLinear/);
  });
});
