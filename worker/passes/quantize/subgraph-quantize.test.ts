import { describe, expect, it } from "vitest";
import { encodeModel } from "../../onnx/model-io";
import type { TGraphProto, TModelProto } from "../../onnx/onnx-proto";
import type { TRuntimeTensor } from "../../runtime/ort";
import { exposeSubgraphValues } from "./calibrate/expose-subgraph-values";
import { runInt8Dynamic } from "./int8-dynamic";
import { runInt8Static } from "./int8-static";
import { forEachGraph } from "./onnx-helpers";
import { buildIfMatMulModel, computeCosine, createRandomFeeds, runModel } from "./testing/build-models";

const feeds = (seed: number, cond: boolean): Record<string, TRuntimeTensor> => ({
  ...createRandomFeeds("x", [1, 4, 32], seed),
  cond: { type: "bool", dims: [], data: Uint8Array.of(cond ? 1 : 0) },
});

async function* streamOf(batches: Record<string, TRuntimeTensor>[]): AsyncIterable<Record<string, TRuntimeTensor>> {
  yield* batches;
}

/** Op types and float32 weight elements over every graph of the model. */
function describeModel(m: TModelProto): { ops: Map<string, number>; floatWeightElements: number } {
  const ops = new Map<string, number>();
  let floatWeightElements = 0;
  forEachGraph(m.graph!, (g: TGraphProto) => {
    for (const n of g.node) ops.set(n.opType ?? "", (ops.get(n.opType ?? "") ?? 0) + 1);
    for (const t of g.initializer) if (t.dataType === 1 && t.dims.length === 2) floatWeightElements += t.dims[0] * t.dims[1];
  });
  return { ops, floatWeightElements };
}

async function expectClose(original: TModelProto, quantized: TModelProto, minCosine: number): Promise<void> {
  for (const cond of [true, false]) {
    for (const seed of [101, 102]) {
      const ref = (await runModel(original, feeds(seed, cond))).y.data as Float32Array;
      const out = (await runModel(quantized, feeds(seed, cond))).y.data as Float32Array;
      expect(computeCosine(ref, out)).toBeGreaterThan(minCosine);
      expect(computeCosine(ref, out)).toBeLessThan(1 - 1e-9); // really quantized, not passed through
    }
  }
}

describe("quantization inside If branches", () => {
  it("int8-dynamic rewrites branch MatMuls, with Constant-node and outer-scope weights", async () => {
    const model = buildIfMatMulModel();
    const r = runInt8Dynamic(model);
    expect(r.stats.quantizedNodes.sort()).toEqual(["else_matmul", "else_out_matmul", "then_matmul", "then_out_matmul"]);
    const d = describeModel(r.model);
    expect(d.ops.get("DynamicQuantizeMatMul")).toBe(4);
    expect(d.ops.get("MatMul") ?? 0).toBe(0);
    // No float 2-D weight is left anywhere: the outer-scope ones were replaced too.
    expect(d.floatWeightElements).toBe(0);
    expect(encodeModel(r.model).byteLength).toBeLessThan(0.4 * encodeModel(model).byteLength);
    await expectClose(model, r.model, 0.995);
  });

  it("int8-static calibrates both branches through extra outputs and puts QDQ inside them", async () => {
    const model = buildIfMatMulModel();
    const calibration = [1, 2, 3, 4].map((s) => feeds(s, s % 2 === 0));
    const r = await runInt8Static(model, { calibration: streamOf(calibration), fidelityTarget: 0, opTypesToQuantize: ["MatMul", "Relu", "Add"] });
    expect(r.stats.quantizedNodes.sort()).toEqual(["else_matmul", "else_out_matmul", "then_matmul", "then_out_matmul"]);
    const d = describeModel(r.model);
    expect(d.floatWeightElements).toBe(0);
    expect(d.ops.get("QuantizeLinear")).toBeGreaterThanOrEqual(4);
    // The shared outer weight is stored once per branch that reads it, never left as float.
    expect(encodeModel(r.model).byteLength).toBeLessThan(0.6 * encodeModel(model).byteLength);
    await expectClose(model, r.model, 0.99);
  });

  it("a branch calibration never took stays float, and says so", async () => {
    const model = buildIfMatMulModel();
    const calibration = [1, 2, 3].map((s) => feeds(s, true));
    const r = await runInt8Static(model, { calibration: streamOf(calibration), fidelityTarget: 0 });
    // else_matmul reads the calibrated main-graph input x, so only the layer after it lacks a range.
    expect(r.stats.quantizedNodes.sort()).toEqual(["else_matmul", "then_matmul", "then_out_matmul"]);
    expect(r.warnings.join(" ")).toMatch(/never reached by the calibration data.*: else_out_matmul$/);
    await expectClose(model, r.model, 0.99);
  });

  it("exposes body values as main-graph outputs (empty from the branch not taken)", async () => {
    const exposed = exposeSubgraphValues(buildIfMatMulModel(), ["then_act", "else_up_b"]);
    expect([...exposed.outputToTensor.values()].sort()).toEqual(["else_up_b", "then_act"]);
    const out = await runModel(exposed.model, feeds(7, true));
    const byTensor = new Map([...exposed.outputToTensor].map(([o, t]) => [t, out[o]]));
    expect(byTensor.get("then_act")!.data.length).toBe(4 * 64);
    expect(Math.min(...(byTensor.get("then_act")!.data as Float32Array))).toBeGreaterThanOrEqual(0); // after Relu
    expect(byTensor.get("else_up_b")!.data.length).toBe(0);
  });
});
