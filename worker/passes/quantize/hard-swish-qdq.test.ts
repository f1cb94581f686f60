import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createEmptyGraphProto, createTensorValueInfo, type TModelProto } from "../../onnx/onnx-proto";
import { decodeModel } from "../../onnx/model-io";
import { runInt8Static } from "./int8-static";
import { createAttribute, createFloatTensor, createNodeProto, DTYPE } from "./onnx-helpers";
import { computeCosine, countOps, createRandom, createRandomFeeds, runModel } from "./testing/build-models";

const X_DIMS = [1, 8, 16, 16];

/**
 * PP-LCNetV3's block: x → Conv → HardSwish → Mul(scale) → Add(shift) → depthwise Conv → HardSwish → Conv → y,
 * with the learnable affine scalars after each activation (opset 14).
 */
function buildLcnetBlock(scale: number, shift: number): TModelProto {
  const rng = createRandom(5);
  const w = (n: number, std: number) => Float32Array.from({ length: n }, () => rng.normal() * std);
  const g = createEmptyGraphProto("lcnet-block");
  g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, X_DIMS));
  g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [1, 8, 16, 16]));
  g.initializer.push(
    createFloatTensor("w1", [16, 8, 1, 1], w(128, 0.4)),
    createFloatTensor("b1", [16], w(16, 0.3)),
    createFloatTensor("w2", [16, 1, 3, 3], w(144, 0.4)),
    createFloatTensor("b2", [16], w(16, 0.3)),
    createFloatTensor("w3", [8, 16, 1, 1], w(128, 0.3)),
    createFloatTensor("b3", [8], w(8, 0.1)),
    createFloatTensor("lab_scale", [1], Float32Array.of(scale)),
    createFloatTensor("lab_shift", [1], Float32Array.of(shift)),
  );
  const ints = (name: string, v: number[]) => createAttribute(name, v, { asInt: true });
  g.node.push(
    createNodeProto("Conv", ["x", "w1", "b1"], ["c1"], { name: "pw1" }),
    createNodeProto("HardSwish", ["c1"], ["h1"], { name: "hs1" }),
    createNodeProto("Mul", ["lab_scale", "h1"], ["m1"], { name: "lab_mul" }),
    createNodeProto("Add", ["m1", "lab_shift"], ["a1"], { name: "lab_add" }),
    createNodeProto("Conv", ["a1", "w2", "b2"], ["c2"], { name: "dw", attribute: [ints("pads", [1, 1, 1, 1]), createAttribute("group", 16, { asInt: true })] }),
    createNodeProto("HardSwish", ["c2"], ["h2"], { name: "hs2" }),
    createNodeProto("Conv", ["h2", "w3", "b3"], ["y"], { name: "pw2" }),
  );
  return { irVersion: 8, opsetImport: [{ domain: "", version: 14 }], producerName: "condense-tests", graph: g, metadataProps: [], trainingInfo: [], functions: [] };
}

/** HardSwish is opt-in (not in the default op list): the default list plus it. */
const WITH_HARD_SWISH = ["Conv", "MatMul", "Gemm", "Add", "Mul", "MaxPool", "GlobalAveragePool", "Concat", "Resize", "HardSwish"];

async function* calibration(n = 4) {
  for (let i = 0; i < n; i++) yield createRandomFeeds("x", X_DIMS, 300 + i);
}

async function optimizedOps(model: TModelProto) {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "qdq-hs-")), "opt.onnx");
  await runModel(model, createRandomFeeds("x", X_DIMS, 1), { optimizedModelFilePath: file });
  return countOps(decodeModel(readFileSync(file)));
}

async function measureCosine(float: TModelProto, quantized: TModelProto) {
  const feeds = createRandomFeeds("x", X_DIMS, 77);
  const ref = await runModel(float, feeds);
  const out = await runModel(quantized, feeds);
  return computeCosine(ref.y.data as Float32Array, out.y.data as Float32Array);
}

describe("int8-static: HardSwish and scalar affine ops in QDQ form", () => {
  it("runs HardSwish, its scale and its shift on uint8 (no float op between the QLinearConvs)", async () => {
    const model = buildLcnetBlock(0.7, -0.4);
    const res = await runInt8Static(model, { calibration: calibration(), fidelityTarget: 0, opTypesToQuantize: WITH_HARD_SWISH });
    const ops = await optimizedOps(res.model);
    expect(ops.QLinearConv).toBe(3);
    // hs1 (scale absorbed): Add(+3) + gated Mul; lab_add: QLinearAdd; hs2: Add(+3) + gated Mul.
    expect(ops.QLinearAdd).toBe(3);
    expect(ops.QLinearMul).toBe(2);
    for (const op of ["HardSigmoid", "HardSwish", "Mul", "Add", "Conv"]) expect(ops[op] ?? 0).toBe(0);
    // Only the graph input's Q and the output's DQ stay.
    expect(ops.QuantizeLinear).toBe(1);
    expect(ops.DequantizeLinear).toBe(1);
    // The absorbed HardSwish is gone from the QDQ model; the scale's Mul became the gated Mul, reading x with
    // scale s·0.7/6.
    const g = res.model.graph!;
    expect(g.node.some((n) => n.name === "hs1")).toBe(false);
    const gated = g.node.find((n) => n.name === "lab_mul")!;
    const init = (name: string) => g.initializer.find((t) => t.name === name)!;
    const readScale = (name: string) => new Float32Array(init(name).rawData!.slice().buffer)[0];
    const view = g.node.find((n) => n.output[0] === gated.input[0])!;
    const plain = g.node.find((n) => n.opType === "DequantizeLinear" && n.input[0] === view.input[0] && n !== view)!;
    expect(readScale(view.input[1])).toBeCloseTo((readScale(plain.input[1]) * 0.7) / 6, 9);
    expect(await measureCosine(model, res.model)).toBeGreaterThan(0.995);
  });

  it("by default (HardSwish not selected) keeps HardSwish in float between DQ and Q", async () => {
    const model = buildLcnetBlock(0.7, -0.4);
    const res = await runInt8Static(model, { calibration: calibration(), fidelityTarget: 0 });
    const ops = await optimizedOps(res.model);
    expect(ops.QLinearConv).toBe(3);
    expect(ops.HardSigmoid).toBe(2);
    expect(ops.QLinearMul ?? 0).toBe(0);
    expect(await measureCosine(model, res.model)).toBeGreaterThan(0.995);
  });

  it("does not absorb a negative scale (a scale must stay positive) but still quantizes the Mul exactly", async () => {
    const model = buildLcnetBlock(-0.6, 0.2);
    const res = await runInt8Static(model, { calibration: calibration(), fidelityTarget: 0, opTypesToQuantize: WITH_HARD_SWISH });
    const ops = await optimizedOps(res.model);
    // Not absorbed: lab_mul is a QLinearMul by the constant.
    expect(ops.QLinearMul).toBe(3);
    expect(ops.QLinearAdd).toBe(3);
    for (const op of ["HardSigmoid", "Mul", "Add"]) expect(ops[op] ?? 0).toBe(0);
    // Not absorbed: hs1 itself becomes the gated Mul.
    expect(res.model.graph!.node.find((n) => n.name === "hs1")?.opType).toBe("Mul");
    // The scalar is stored on level 0 with zero point 255: dequantized it is exactly -0.6.
    const g = res.model.graph!;
    const mul = g.node.find((n) => n.name === "lab_mul")!;
    const dq = g.node.find((n) => n.output[0] === mul.input[0])!;
    expect(dq.opType).toBe("DequantizeLinear");
    const [q, s, zp] = dq.input.map((name) => g.initializer.find((t) => t.name === name)!);
    const value = (q.rawData![0] - zp.rawData![0]) * new Float32Array(s.rawData!.slice().buffer)[0];
    expect(value).toBeCloseTo(-0.6, 6);
    expect(await measureCosine(model, res.model)).toBeGreaterThan(0.995);
  });
});
