/** Tiny hand-built ONNX models for unit tests (built with our own encoder). */
import { DTYPE, createTensor } from "./dtypes";
import {
  createAttribute,
  createEmptyGraphProto,
  createNodeProto,
  createTensorValueInfo,
  type TGraphProto,
  type TModelProto,
  type TTensorProto,
} from "./onnx-proto";

/** y = x + w (float32 [2,3]) with w given as `weight`. */
export function buildAddModel(weight: TTensorProto, opts: { opset?: number; irVersion?: number } = {}): TModelProto {
  const g = createEmptyGraphProto("add");
  g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, ["batch", 3]));
  g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, ["batch", 3]));
  g.initializer.push(weight);
  g.node.push(createNodeProto("Add", ["x", weight.name ?? "w"], ["y"], { name: "add0" }));
  return wrapGraph(g, opts);
}

/** Wraps a graph into a model with the default opset. */
export function wrapGraph(g: TGraphProto, opts: { opset?: number; irVersion?: number } = {}): TModelProto {
  return {
    irVersion: opts.irVersion ?? 8,
    producerName: "condense-test",
    producerVersion: "1",
    opsetImport: [{ domain: "", version: opts.opset ?? 17 }],
    graph: g,
    metadataProps: [],
    trainingInfo: [],
    functions: [],
  };
}

/**
 * out = If(cond) then (x * w_then) else (x + w_else): weights as Constant nodes inside the branches,
 * like silero VAD v5/v6 keeps them.
 */
export function buildIfModel(): TModelProto {
  const branch = (name: string, op: string, values: number[]) => {
    const b = createEmptyGraphProto(name);
    b.node.push(
      createNodeProto("Constant", [], [`${name}_w`], {
        name: `${name}_const`,
        attribute: [createAttribute("value", createTensor(`${name}_w`, DTYPE.FLOAT, [3], values))],
      }),
    );
    b.node.push(createNodeProto(op, ["x", `${name}_w`], [`${name}_out`], { name: `${name}_op` }));
    b.output.push(createTensorValueInfo(`${name}_out`, DTYPE.FLOAT, [3]));
    return b;
  };
  const g = createEmptyGraphProto("if-model");
  g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [3]));
  g.input.push(createTensorValueInfo("cond", DTYPE.BOOL, []));
  g.output.push(createTensorValueInfo("out", DTYPE.FLOAT, [3]));
  g.node.push(
    createNodeProto("If", ["cond"], ["out"], {
      name: "if0",
      attribute: [createAttribute("then_branch", branch("then", "Mul", [2, 3, 4])), createAttribute("else_branch", branch("else", "Add", [10, 20, 30]))],
    }),
  );
  return wrapGraph(g);
}
