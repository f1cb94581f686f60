import { describe, expect, it } from "vitest";
import { observeValueShapes, type TValueShapes } from "../../evaluate/count-macs";
import { encodeModel } from "../../onnx/model-io";
import type { TModelProto } from "../../onnx/onnx-proto";
import { createInferenceSession, createRuntimeTensor, type TRuntimeTensor } from "../../runtime/ort";
import { createAttribute, createFloatTensor, createNodeProto, DTYPE } from "../quantize/onnx-helpers";
import { buildTransformerEncoder, computeCosine, createRandom } from "../quantize/testing/build-models";
import { createEmptyGraphProto, createTensorValueInfo } from "../../onnx/onnx-proto";
import { DEFAULT_DISTILL_SETTINGS, distillModel } from "./distill-model";
import { chooseUnitsToDrop, findRepeatedBlocks, reduceDepth } from "./reduce-depth";

function randomFeeds(dims: number[], seed: number): Record<string, TRuntimeTensor> {
  const rng = createRandom(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return { x: createRuntimeTensor("float32", Float32Array.from({ length: n }, () => rng.normal()), dims) };
}

async function observeAll(model: TModelProto, feeds: Record<string, TRuntimeTensor>): Promise<TValueShapes> {
  const { shapes } = await observeValueShapes(model, { feeds });
  for (const [name, t] of Object.entries(feeds)) shapes.set(name, [...t.dims]);
  return shapes;
}

async function runModel(model: TModelProto, feeds: Record<string, TRuntimeTensor>): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const session = await createInferenceSession(encodeModel(model), { intraOpThreads: 1 });
  try {
    const out = await session.run(feeds);
    const y = out[session.outputNames[0]];
    return { dims: y.dims, data: y.data as Float32Array };
  } finally {
    await session.release();
  }
}

/**
 * x[1,8,8,8] → three identical residual blocks (Conv3×3 → Relu → Conv3×3, + x) → two identical stride-2 blocks
 * (Conv3×3/2 → Relu: same weights' shapes, but each halves the image) → GlobalAveragePool → y.
 */
function buildResidualCnn(): TModelProto {
  const rng = createRandom(5);
  const w = (name: string, dims: number[], std: number) =>
    createFloatTensor(name, dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => std * rng.normal()));
  const g = createEmptyGraphProto("residual-cnn");
  g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [1, 8, 8, 8]));
  g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [1, 8, 1, 1]));
  let x = "x";
  const pads = createAttribute("pads", [1, 1, 1, 1], { asInt: true });
  for (let b = 0; b < 3; b++) {
    g.initializer.push(w(`res${b}_w1`, [8, 8, 3, 3], 0.1), w(`res${b}_w2`, [8, 8, 3, 3], 0.1));
    g.node.push(
      createNodeProto("Conv", [x, `res${b}_w1`], [`res${b}_c1`], { name: `res${b}_conv1`, attribute: [pads] }),
      createNodeProto("Relu", [`res${b}_c1`], [`res${b}_r`], { name: `res${b}_relu` }),
      createNodeProto("Conv", [`res${b}_r`, `res${b}_w2`], [`res${b}_c2`], { name: `res${b}_conv2`, attribute: [pads] }),
      createNodeProto("Add", [x, `res${b}_c2`], [`res${b}_out`], { name: `res${b}_add` }),
    );
    x = `res${b}_out`;
  }
  for (let b = 0; b < 2; b++) {
    g.initializer.push(w(`down${b}_w`, [8, 8, 3, 3], 0.1));
    g.node.push(
      createNodeProto("Conv", [x, `down${b}_w`], [`down${b}_c`], { name: `down${b}_conv`, attribute: [pads, createAttribute("strides", [2, 2], { asInt: true })] }),
      createNodeProto("Relu", [`down${b}_c`], [`down${b}_out`], { name: `down${b}_relu` }),
    );
    x = `down${b}_out`;
  }
  g.node.push(createNodeProto("GlobalAveragePool", [x], ["y"], { name: "gap" }));
  return {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: g,
    metadataProps: [],
    trainingInfo: [],
    functions: [],
  };
}

describe("depth-reduced student", () => {
  it("spreads the dropped units and always keeps the first", () => {
    expect(chooseUnitsToDrop(4, 0.5)).toEqual([1, 3]);
    expect(chooseUnitsToDrop(6, 0.5)).toEqual([1, 3, 5]);
    expect(chooseUnitsToDrop(3, 0.34)).toEqual([2]);
    expect(chooseUnitsToDrop(2, 0.9)).toEqual([1]);
    expect(chooseUnitsToDrop(5, 0.1)).toEqual([]);
  });

  it("finds the four layers of a transformer encoder (attention + MLP halves) and drops every other one", async () => {
    const teacher = buildTransformerEncoder({ dim: 32, heads: 2, blocks: 4, seed: 3 });
    const feeds = randomFeeds([2, 8, 32], 1);
    const shapes = await observeAll(teacher, feeds);
    const runs = findRepeatedBlocks(teacher, shapes);
    expect(runs).toHaveLength(1);
    expect(runs[0].segmentsPerUnit).toBe(2);
    expect(runs[0].units.map((u) => [u.input, u.output])).toEqual([
      ["x", "block0_out"],
      ["block0_out", "block1_out"],
      ["block1_out", "block2_out"],
      ["block2_out", "block3_out"],
    ]);

    const r = reduceDepth(teacher, shapes, 0.5);
    expect([r.blocksBefore, r.blocksAfter]).toEqual([4, 2]);
    expect(r.removed).toEqual(["block1_ln1 … block1_res2_Add", "block3_ln1 … block3_res2_Add"]);
    const names = r.model.graph!.node.map((n) => n.name);
    expect(names.some((n) => n?.startsWith("block1_") || n?.startsWith("block3_"))).toBe(false);
    expect(names.filter((n) => n?.startsWith("block0_") || n?.startsWith("block2_")).length).toBe(r.nodesAfter - 2);
    // The dropped layers' weights are gone: roughly half the bytes.
    const bytes = (m: TModelProto) => encodeModel(m).byteLength;
    expect(bytes(r.model) / bytes(teacher)).toBeGreaterThan(0.45);
    expect(bytes(r.model) / bytes(teacher)).toBeLessThan(0.55);
    // It runs, with the teacher's output shape.
    const [t, s] = [await runModel(teacher, feeds), await runModel(r.model, feeds)];
    expect(s.dims).toEqual(t.dims);
    expect(computeCosine(s.data, t.data)).toBeLessThan(0.9999);
  });

  it("drops only shape-preserving repeats: identical residual blocks go, identical stride-2 blocks stay", async () => {
    const model = buildResidualCnn();
    const feeds = { x: randomFeeds([1, 8, 8, 8], 2).x };
    const shapes = await observeAll(model, feeds);
    const runs = findRepeatedBlocks(model, shapes);
    expect(runs.map((run) => run.units.map((u) => u.output))).toEqual([["res0_out", "res1_out", "res2_out"]]);
    const r = reduceDepth(model, shapes, 0.34);
    expect(r.removed).toEqual(["res2_conv1 … res2_add"]);
    const out = await runModel(r.model, feeds);
    expect(out.dims).toEqual([1, 8, 1, 1]);
  });

  it("says so when a model has no repeated blocks", async () => {
    const model = buildResidualCnn();
    model.graph!.node = model.graph!.node.filter((n) => !/^res[12]_/.test(n.name ?? ""));
    model.graph!.node.find((n) => n.name === "down0_conv")!.input[0] = "res0_out";
    const shapes = await observeAll(model, { x: randomFeeds([1, 8, 8, 8], 2).x });
    expect(() => reduceDepth(model, shapes, 0.5)).toThrow(/no repeated blocks were found/);
  });

  it("distillation recovers fidelity the dropped layers cost", async () => {
    const teacher = buildTransformerEncoder({ dim: 32, heads: 2, blocks: 4, seed: 3 });
    const count = 192;
    const x = randomFeeds([count, 8, 32], 7).x;
    const shapes = await observeAll(teacher, { x: randomFeeds([1, 8, 32], 1).x });
    const student = reduceDepth(teacher, shapes, 0.5).model;
    const r = await distillModel({
      teacher,
      student,
      inputs: { x: { dtype: "float32", dims: [count, 8, 32], data: x.data as Float32Array } },
      settings: { ...DEFAULT_DISTILL_SETTINGS, epochs: 6, batchSize: 16, lr: 3e-3, patience: 6 },
    });
    expect(r.report.keptUntrained).toBeFalsy();
    expect(r.report.after.cosine).toBeGreaterThan(r.report.before.cosine + 0.01);
  }, 120_000);
});
