import { DTYPE, createTensor, readTensorAsFloat32 } from "../onnx/dtypes";
import { createEmptyGraphProto, createNodeProto, createTensorValueInfo, type TModelProto } from "../onnx/onnx-proto";

/**
 * A tiny two-layer MLP for evaluation tests: x[batch,4] -> MatMul fc1 (4x8) -> Relu -> MatMul fc2 (8x3) -> y[batch,3].
 * Deterministic weights; `perturb` adds noise to one layer's weights, standing in for quantizing that layer.
 */
export function buildTinyMlp(opts: { perturb?: Partial<Record<"fc1" | "fc2", number>> } = {}): TModelProto {
  const g = createEmptyGraphProto("tiny-mlp");
  const w1 = Array.from({ length: 32 }, (_, i) => Math.sin(i * 1.7) * 0.8);
  const w2 = Array.from({ length: 24 }, (_, i) => Math.cos(i * 0.9) * 0.6);
  const noise = (values: number[], amount = 0) => values.map((v, i) => v + amount * Math.sin(i * 12.9898 + 78.233));
  g.initializer.push(createTensor("w1", DTYPE.FLOAT, [4, 8], noise(w1, opts.perturb?.fc1)));
  g.initializer.push(createTensor("w2", DTYPE.FLOAT, [8, 3], noise(w2, opts.perturb?.fc2)));
  g.node.push(createNodeProto("MatMul", ["x", "w1"], ["h"], { name: "fc1" }));
  g.node.push(createNodeProto("Relu", ["h"], ["hr"], { name: "relu" }));
  g.node.push(createNodeProto("MatMul", ["hr", "w2"], ["y"], { name: "fc2" }));
  g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, ["batch", 4]));
  g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, ["batch", 3]));
  return {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "condense-tests",
    graph: g,
    metadataProps: [],
    trainingInfo: [],
    functions: [],
  };
}

/** Copy of the tiny MLP with only `node`'s weights rounded to `step` (a crude stand-in for quantizing one layer). */
export function roundLayerWeights(model: TModelProto, node: string, step: number): TModelProto {
  const copy = structuredClone(model);
  const n = copy.graph!.node.find((x) => x.name === node)!;
  const idx = copy.graph!.initializer.findIndex((t) => t.name === n.input[1]);
  const t = copy.graph!.initializer[idx];
  const values = Array.from(readTensorAsFloat32(t), (v) => Math.round(v / step) * step);
  copy.graph!.initializer[idx] = createTensor(t.name!, DTYPE.FLOAT, t.dims, values);
  return copy;
}
