import { describe, expect, it } from "vitest";
import { createEmptyGraphProto, createTensorValueInfo, type TModelProto, type TNodeProto } from "../../onnx/onnx-proto";
import { cloneModel, createAttribute, createFloatTensor, createNodeProto, DTYPE } from "./onnx-helpers";
import { foldConvTransposeAffine } from "./graph-cleanups";
import { countOps, createRandom, createRandomFeeds, runModel } from "./testing/build-models";

const ints = (name: string, v: number[]) => createAttribute(name, v, { asInt: true });

function model(nodes: TNodeProto[], init: ReturnType<typeof createFloatTensor>[], x: number[], y: number[]): TModelProto {
  const g = createEmptyGraphProto("g");
  g.node = nodes;
  g.initializer = init;
  g.input = [createTensorValueInfo("x", DTYPE.FLOAT, x)];
  g.output = [createTensorValueInfo("y", DTYPE.FLOAT, y)];
  return { irVersion: 8, opsetImport: [{ domain: "", version: 14 }], graph: g, metadataProps: [], trainingInfo: [], functions: [] };
}

async function maxAbsDiff(a: TModelProto, b: TModelProto, dims: number[]) {
  const feeds = createRandomFeeds("x", dims, 11);
  const ra = (await runModel(a, feeds)).y.data as Float32Array;
  const rb = (await runModel(b, feeds)).y.data as Float32Array;
  let d = 0;
  for (let i = 0; i < ra.length; i++) d = Math.max(d, Math.abs(ra[i] - rb[i]));
  return d;
}

const rng = createRandom(21);
const rand = (n: number, std: number) => Float32Array.from({ length: n }, () => rng.normal() * std);

describe("graph clean-ups for QDQ speed", () => {
  it("folds ConvTranspose → Add(bias) → BatchNormalization → into the ConvTranspose, exactly", async () => {
    const m = model(
      [
        createNodeProto("ConvTranspose", ["x", "w"], ["t"], { name: "ct", attribute: [ints("strides", [2, 2]), ints("kernel_shape", [2, 2])] }),
        createNodeProto("Add", ["t", "c"], ["u"], { name: "add" }),
        createNodeProto("BatchNormalization", ["u", "gamma", "beta", "mean", "var"], ["v"], { name: "bn" }),
        createNodeProto("Relu", ["v"], ["y"], { name: "relu" }),
      ],
      [
        createFloatTensor("w", [4, 3, 2, 2], rand(48, 0.4)),
        createFloatTensor("c", [1, 3, 1, 1], rand(3, 0.2)),
        createFloatTensor("gamma", [3], Float32Array.of(0.5, 1.5, -0.7)),
        createFloatTensor("beta", [3], rand(3, 0.2)),
        createFloatTensor("mean", [3], rand(3, 0.2)),
        createFloatTensor("var", [3], Float32Array.of(0.3, 1.2, 2)),
      ],
      [1, 4, 5, 5],
      [1, 3, 10, 10],
    );
    const folded = cloneModel(m);
    expect(foldConvTransposeAffine(folded.graph!)).toBe(2);
    expect(countOps(folded)).toEqual({ ConvTranspose: 1, Relu: 1 });
    expect(await maxAbsDiff(m, folded, [1, 4, 5, 5])).toBeLessThan(1e-5);
  });
});
