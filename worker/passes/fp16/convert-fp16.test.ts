import { describe, expect, it } from "vitest";
import { encodeModel } from "../../onnx/model-io";
import { createEmptyGraphProto, createTensorValueInfo, type TModelProto } from "../../onnx/onnx-proto";
import { createAttribute, createFloatTensor, createNodeProto, DTYPE } from "../quantize/onnx-helpers";
import { buildConvNet, buildMlpBlock, computeCosine, countOps, createRandomFeeds, runModel } from "../quantize/testing/build-models";
import { runFp16 } from "./convert-fp16";
import { float32ToFloat16Bits, float16BitsToFloat32 } from "./half";

describe("fp16 pass", () => {
  it("halves a CNN's weights, keeps float32 I/O, and stays within float16 precision", async () => {
    const model = buildConvNet();
    const res = runFp16(model);
    const g = res.model.graph!;
    expect(g.input[0].type!.tensorType!.elemType).toBe(DTYPE.FLOAT);
    expect(g.output[0].type!.tensorType!.elemType).toBe(DTYPE.FLOAT);
    // All weights except Resize's scales/roi (must stay float32) are float16.
    const f32 = g.initializer.filter((t) => t.dataType === DTYPE.FLOAT).map((t) => t.name).sort();
    expect(f32).toEqual(["resize_scales", "roi"]);
    const weightBytes = (m: TModelProto) => m.graph!.initializer.reduce((s, t) => s + (t.rawData?.byteLength ?? 0), 0);
    // fc_w came from a Constant node: 80 float32 values more in the original.
    expect(weightBytes(res.model) / (weightBytes(model) + 4 * 80)).toBeLessThan(0.52);
    expect(encodeModel(res.model).length).toBeLessThan(encodeModel(model).length * 0.7);
    const feeds = createRandomFeeds("x", [1, 3, 16, 16], 5);
    const ref = (await runModel(model, feeds)).y.data as Float32Array;
    const out = (await runModel(res.model, feeds)).y.data as Float32Array;
    expect(computeCosine(ref, out)).toBeGreaterThan(0.9999);
  });

  it("keeps Softmax (and other listed ops) in float32 with Casts around it", async () => {
    const model = buildMlpBlock();
    const res = runFp16(model);
    const g = res.model.graph!;
    const softmax = g.node.find((n) => n.opType === "Softmax")!;
    const producer = g.node.find((n) => n.output.includes(softmax.input[0]))!;
    expect(producer.opType).toBe("Cast");
    expect(Number(producer.attribute[0].i)).toBe(DTYPE.FLOAT);
    expect(res.stats.keptFloat32Nodes).toBe(1);
    const feeds = createRandomFeeds("x", [2, 16, 64], 5);
    const ref = (await runModel(model, feeds)).y.data as Float32Array;
    const out = (await runModel(res.model, feeds)).y.data as Float32Array;
    expect(computeCosine(ref, out)).toBeGreaterThan(0.999);
  });

  it("with keepIoTypes off, the graph takes and returns float16", async () => {
    const res = runFp16(buildMlpBlock(), { keepIoTypes: false });
    const g = res.model.graph!;
    expect(g.input[0].type!.tensorType!.elemType).toBe(DTYPE.FLOAT16);
    expect(g.output[0].type!.tensorType!.elemType).toBe(DTYPE.FLOAT16);
    const x = createRandomFeeds("x", [1, 16, 64], 5).x.data as Float32Array;
    const bits = Uint16Array.from(x, float32ToFloat16Bits);
    const out = await runModel(res.model, { x: { type: "float16", dims: [1, 16, 64], data: bits } });
    expect(out.y.type).toBe("float16");
    expect(Array.from(out.y.data as Uint16Array).map(float16BitsToFloat32).every(Number.isFinite)).toBe(true);
  });

  it("converts weights inside If branches and keeps the If's float32 interface", async () => {
    const branch = (name: string, scale: number) => {
      const g = createEmptyGraphProto(name);
      g.initializer = [createFloatTensor(`${name}_w`, [4, 4], Float32Array.from({ length: 16 }, (_, i) => (i % 5) * scale))];
      g.node = [createNodeProto("MatMul", ["x", `${name}_w`], [`${name}_y`])];
      g.output = [createTensorValueInfo(`${name}_y`, DTYPE.FLOAT, [2, 4])];
      return g;
    };
    const graph = createEmptyGraphProto("main");
    graph.initializer = [createFloatTensor("zero", [], Float32Array.of(0))];
    graph.node = [
      createNodeProto("ReduceSum", ["x"], ["s"], { attribute: [createAttribute("keepdims", 0, { asInt: true })] }),
      createNodeProto("Greater", ["s", "zero"], ["cond"]),
      createNodeProto("If", ["cond"], ["y"], { attribute: [createAttribute("then_branch", branch("then", 0.5)), createAttribute("else_branch", branch("else", -0.25))] }),
    ];
    graph.input = [createTensorValueInfo("x", DTYPE.FLOAT, [2, 4])];
    graph.output = [createTensorValueInfo("y", DTYPE.FLOAT, [2, 4])];
    const model: TModelProto = { irVersion: 8, opsetImport: [{ domain: "", version: 13 }], graph, metadataProps: [], trainingInfo: [], functions: [] };
    const res = runFp16(model);
    const ifNode = res.model.graph!.node.find((n) => n.opType === "If")!;
    for (const a of ifNode.attribute) {
      expect(a.g!.initializer[0].dataType).toBe(DTYPE.FLOAT16);
      expect(countOps({ ...res.model, graph: a.g! }).Cast).toBeGreaterThanOrEqual(2);
    }
    for (const sign of [1, -1]) {
      const feeds = { x: { type: "float32" as const, dims: [2, 4], data: Float32Array.from({ length: 8 }, (_, i) => sign * (i + 1) * 0.1) } };
      const ref = (await runModel(model, feeds)).y.data as Float32Array;
      const out = (await runModel(res.model, feeds)).y.data as Float32Array;
      for (let i = 0; i < 8; i++) expect(out[i]).toBeCloseTo(ref[i], 2);
    }
  });

  it("keeps a node whose weights exceed float16 in float32 instead of clamping them", async () => {
    const graph = createEmptyGraphProto("bn");
    const c = 4;
    graph.initializer = [
      createFloatTensor("scale", [c], Float32Array.of(1, 2, 0.5, 1)),
      createFloatTensor("bias", [c], Float32Array.of(0, 1, -1, 0)),
      createFloatTensor("mean", [c], Float32Array.of(0, 100, -50, 3)),
      // Variances beyond ±65504: clamping them would shrink the normalization ~40×.
      createFloatTensor("var", [c], Float32Array.of(1e8, 4e6, 2.5e9, 1)),
      createFloatTensor("w", [c, c, 1, 1], Float32Array.from({ length: c * c }, (_, i) => ((i * 7) % 5) / 5 - 0.4)),
    ];
    graph.node = [
      createNodeProto("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["bn"]),
      createNodeProto("Conv", ["bn", "w"], ["y"]),
    ];
    graph.input = [createTensorValueInfo("x", DTYPE.FLOAT, [1, c, 4, 4])];
    graph.output = [createTensorValueInfo("y", DTYPE.FLOAT, [1, c, 4, 4])];
    const model: TModelProto = { irVersion: 8, opsetImport: [{ domain: "", version: 13 }], graph, metadataProps: [], trainingInfo: [], functions: [] };
    const res = runFp16(model);
    expect(res.stats.clampedValues).toBe(0);
    expect(res.stats.outOfRangeNodes).toBe(1);
    expect(res.warnings.join("\n")).toMatch(/kept 1 nodes in float32/);
    const g = res.model.graph!;
    expect(g.initializer.find((t) => t.name === "var")!.dataType).toBe(DTYPE.FLOAT);
    expect(g.initializer.find((t) => t.name === "w")!.dataType).toBe(DTYPE.FLOAT16);
    const feeds = { x: { type: "float32" as const, dims: [1, c, 4, 4], data: Float32Array.from({ length: c * 16 }, (_, i) => 3000 * Math.sin(i)) } };
    const ref = (await runModel(model, feeds)).y.data as Float32Array;
    const out = (await runModel(res.model, feeds)).y.data as Float32Array;
    expect(computeCosine(ref, out)).toBeGreaterThan(0.999);
  });
});
