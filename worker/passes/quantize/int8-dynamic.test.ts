import { describe, expect, it } from "vitest";
import { encodeModel } from "../../onnx/model-io";
import { runInt8Dynamic } from "./int8-dynamic";
import { createAttribute, createEmptyGraphProto, createNodeProto, createTensorValueInfo, type TModelProto } from "../../onnx/onnx-proto";
import { DTYPE, createFloatTensor } from "./onnx-helpers";
import { buildMlpBlock, computeCosine, countOps, createRandomFeeds, runModel } from "./testing/build-models";

/** x → Mul(Constant w) → Relu → y: no MatMul/Gemm, with a Constant node that preparation would move. */
function buildNoMatMulModel(): TModelProto {
  const graph = createEmptyGraphProto("no-matmul");
  graph.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [1, 4]));
  graph.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [1, 4]));
  graph.node.push(createNodeProto("Constant", [], ["w"], { attribute: [createAttribute("value", createFloatTensor("", [4], Float32Array.of(1, -2, 3, -4)))] }));
  graph.node.push(createNodeProto("Mul", ["x", "w"], ["xw"]));
  graph.node.push(createNodeProto("Relu", ["xw"], ["y"]));
  return { irVersion: 8, opsetImport: [{ domain: "", version: 13 }], graph, metadataProps: [], trainingInfo: [], functions: [] };
}

describe("int8-dynamic", () => {
  for (const kernel of ["DynamicQuantizeMatMul", "MatMulInteger"] as const) {
    it(`${kernel}: quantizes MatMuls with constant weights, folds their bias Add, stays close to float`, async () => {
      const model = buildMlpBlock();
      const res = runInt8Dynamic(model, { kernel });
      expect(res.stats.quantizedNodes.sort()).toEqual(["MatMul_0", "MatMul_3", "MatMul_6"]);
      const ops = countOps(res.model);
      if (kernel === "DynamicQuantizeMatMul") {
        expect(ops.DynamicQuantizeMatMul).toBe(3);
        // Two bias Adds folded into the kernel; the residual Add stays.
        expect(ops.Add).toBe(1);
      } else {
        expect(ops.MatMulInteger).toBe(3);
        expect(ops.DynamicQuantizeLinear).toBe(3);
      }
      // Only the two activation×activation MatMuls stay float.
      expect(ops.MatMul).toBe(2);
      const feeds = createRandomFeeds("x", [2, 16, 64], 9);
      const ref = await runModel(model, feeds);
      const out = await runModel(res.model, feeds);
      expect(computeCosine(ref.y.data as Float32Array, out.y.data as Float32Array)).toBeGreaterThan(0.99);
    });
  }

  it("makes a MatMul-heavy model ≤ 0.27 of its float size, per-channel scales included", () => {
    const model = buildMlpBlock({ dim: 256, hidden: 1024 });
    const res = runInt8Dynamic(model);
    const ratio = encodeModel(res.model).length / encodeModel(model).length;
    expect(ratio).toBeLessThan(0.27);
    expect(ratio).toBeGreaterThan(0.24);
  });

  it("per-tensor mode stores one scale per weight; exclusions keep float", () => {
    const res = runInt8Dynamic(buildMlpBlock(), { perChannel: false, nodesToExclude: ["MatMul_3"] });
    expect(res.stats.quantizedNodes.sort()).toEqual(["MatMul_0", "MatMul_6"]);
    const scales = res.model.graph!.initializer.filter((t) => t.name?.endsWith("_scale"));
    expect(scales.every((t) => t.dims.length === 0)).toBe(true);
  });

  it("hands a model without MatMul/Gemm back byte-identical (no preparation rewrite) and still refuses quantized ones", () => {
    const model = buildNoMatMulModel();
    const before = encodeModel(model);
    const res = runInt8Dynamic(model);
    expect(res.stats.quantizedNodes).toEqual([]);
    expect(res.warnings).toEqual(["int8-dynamic: no MatMul/Gemm with a constant 2-D float weight was found; the model is unchanged"]);
    expect(res.model).not.toBe(model);
    expect(Buffer.from(encodeModel(res.model)).equals(Buffer.from(before))).toBe(true);
    // A quantized model is refused as before (the early return must not skip the check).
    const quantized = runInt8Dynamic(buildMlpBlock()).model;
    quantized.graph!.node = quantized.graph!.node.filter((n) => n.opType !== "MatMul");
    expect(() => runInt8Dynamic(quantized)).toThrow(/already/);
  });
});
