import { describe, expect, it } from "vitest";
import { createEmptyGraphProto, createTensorValueInfo, type TModelProto, type TNodeProto } from "../../onnx/onnx-proto";
import { prepareForQuantization } from "./prepare";
import { createAttribute, createFloatTensor, createNodeProto, DTYPE, getDefaultOpset, createFloat16Tensor } from "./onnx-helpers";
import { buildConvNet, computeCosine, countOps, createRandom, createRandomFeeds, runModel } from "./testing/build-models";

function model(nodes: TNodeProto[], init: ReturnType<typeof createFloatTensor>[], opset: number, x: number[], y: (number | string)[]): TModelProto {
  const graph = createEmptyGraphProto("g");
  graph.node = nodes;
  graph.initializer = init;
  graph.input = [createTensorValueInfo("x", DTYPE.FLOAT, x)];
  graph.output = [createTensorValueInfo("y", DTYPE.FLOAT, y.map(String).map((d) => (isNaN(+d) ? d : +d)))];
  return { irVersion: 7, opsetImport: [{ domain: "", version: opset }], graph, metadataProps: [], trainingInfo: [], functions: [] };
}

async function expectSameOutputs(a: TModelProto, b: TModelProto, dims: number[], tol = 1e-5) {
  const feeds = createRandomFeeds("x", dims, 3);
  const ra = (await runModel(a, feeds)).y.data as Float32Array;
  const rb = (await runModel(b, feeds)).y.data as Float32Array;
  expect(rb.length).toBe(ra.length);
  let maxDiff = 0;
  for (let i = 0; i < ra.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ra[i] - rb[i]));
  expect(maxDiff).toBeLessThanOrEqual(tol);
}

describe("prepareForQuantization", () => {
  it("moves Constant weights to initializers, folds BatchNorm, names nodes, keeps outputs", async () => {
    const m = buildConvNet();
    const p = prepareForQuantization(m, { upgradeOpset: true });
    expect(p.stats.constantsMoved).toBe(1);
    expect(p.stats.batchNormsFolded).toBe(1);
    expect(p.stats.opsetUpgraded).toBe(true);
    expect(getDefaultOpset(p.model)).toBe(13);
    expect(p.model.graph!.node.every((n) => n.name)).toBe(true);
    expect(countOps(p.model).BatchNormalization ?? 0).toBe(0);
    expect(countOps(m).BatchNormalization).toBe(1);
    await expectSameOutputs(m, p.model, [1, 3, 16, 16]);
  });

  it("leaves a BatchNorm unfolded when folding would overflow float32 (dead channels of real models)", () => {
    const m = buildConvNet();
    const scale = m.graph!.initializer.find((t) => t.name === "bn_scale")!;
    const huge = new Float32Array(scale.dims[0]).fill(3e38);
    m.graph!.initializer[m.graph!.initializer.indexOf(scale)] = createFloatTensor("bn_scale", scale.dims, huge);
    const variance = m.graph!.initializer.find((t) => t.name === "bn_var")!;
    m.graph!.initializer[m.graph!.initializer.indexOf(variance)] = createFloatTensor("bn_var", variance.dims, new Float32Array(variance.dims[0]));
    const p = prepareForQuantization(m, { upgradeOpset: true });
    expect(p.stats.batchNormsFolded).toBe(0);
    expect(countOps(p.model).BatchNormalization).toBe(1);
    const weights = p.model.graph!.initializer.filter((t) => t.name === "w1");
    expect(weights).toHaveLength(1);
  });

  it("folds Conv → Mul/Add constants and fuses hard-swish into HardSwish (opset 14)", async () => {
    const rng = createRandom(5);
    const init = [
      createFloatTensor("w", [4, 3, 3, 3], Float32Array.from({ length: 108 }, () => rng.normal() * 0.5)),
      createFloatTensor("b", [4], Float32Array.of(0.1, -0.2, 0.3, 0)),
      createFloatTensor("s", [], Float32Array.of(1.7)),
      createFloatTensor("t", [1, 4, 1, 1], Float32Array.of(0.5, -1, 2, 0)),
      createFloatTensor("three", [], Float32Array.of(3)),
      createFloatTensor("zero", [], Float32Array.of(0)),
      createFloatTensor("six", [], Float32Array.of(6)),
    ];
    const nodes = [
      createNodeProto("Conv", ["x", "w", "b"], ["c"], { attribute: [createAttribute("pads", [1, 1, 1, 1], { asInt: true })] }),
      createNodeProto("Mul", ["s", "c"], ["m"]),
      createNodeProto("Add", ["m", "t"], ["a"]),
      createNodeProto("Add", ["a", "three"], ["a3"]),
      createNodeProto("Clip", ["a3", "zero", "six"], ["cl"]),
      createNodeProto("Mul", ["a", "cl"], ["mm"]),
      createNodeProto("Div", ["mm", "six"], ["y"]),
    ];
    const m = model(nodes, init, 13, [1, 3, 8, 8], [1, 4, 8, 8]);
    const p = prepareForQuantization(m, { cleanUp: true });
    expect(p.stats.affineFolded).toBe(2);
    expect(p.stats.hardSwishFused).toBe(1);
    expect(getDefaultOpset(p.model)).toBe(14);
    expect(countOps(p.model)).toEqual({ Conv: 1, HardSwish: 1 });
    await expectSameOutputs(m, p.model, [1, 3, 8, 8]);
  });

  it("upgrades opset-9 Clip/Slice/Squeeze/Softmax to opset 13 with identical outputs", async () => {
    const ints = (n: string, v: number[]) => createAttribute(n, v, { asInt: true });
    const nodes = [
      createNodeProto("Clip", ["x"], ["c"], { attribute: [createAttribute("min", -0.5), createAttribute("max", 0.8)] }),
      createNodeProto("Slice", ["c"], ["s"], { attribute: [ints("starts", [0, 1]), ints("ends", [1, 5]), ints("axes", [0, 2])] }),
      createNodeProto("Squeeze", ["s"], ["q"], { attribute: [ints("axes", [0])] }),
      createNodeProto("Unsqueeze", ["q"], ["u"], { attribute: [ints("axes", [0])] }),
      // axis=1 on a 3-D tensor: before opset 13 this is a softmax over the flattened last two dims.
      createNodeProto("Softmax", ["u"], ["y"], { attribute: [createAttribute("axis", 1, { asInt: true })] }),
    ];
    const m = model(nodes, [], 9, [2, 3, 6], [1, 3, 4]);
    const p = prepareForQuantization(m, { upgradeOpset: true });
    expect(getDefaultOpset(p.model)).toBe(13);
    await expectSameOutputs(m, p.model, [2, 3, 6], 1e-6);
  });

  it("turns float16 weights that are Cast to float back into float32 initializers", async () => {
    const w = Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 8);
    const init = [createFloat16Tensor("w16", [4, 3], w)];
    const nodes = [
      createNodeProto("Cast", ["w16"], ["w"], { attribute: [createAttribute("to", DTYPE.FLOAT, { asInt: true })] }),
      createNodeProto("MatMul", ["x", "w"], ["y"]),
    ];
    const m = model(nodes, init, 13, [2, 4], [2, 3]);
    const p = prepareForQuantization(m);
    expect(p.stats.fp16WeightsRestored).toBe(1);
    expect(p.model.graph!.initializer.map((t) => t.dataType)).toEqual([DTYPE.FLOAT]);
    await expectSameOutputs(m, p.model, [2, 4], 0);
  });

  it("keeps the input model intact and its weights shared, not copied", () => {
    const m = buildConvNet();
    const w2 = m.graph!.initializer.find((t) => t.name === "w2")!;
    const p = prepareForQuantization(m);
    expect(p.model.graph!.initializer.find((t) => t.name === "w2")!.rawData).toBe(w2.rawData);
    expect(m.graph!.node[0].opType).toBe("Constant");
    expect(computeCosine([1], [1])).toBe(1);
  });
});
