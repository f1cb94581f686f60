/**
 * Element-type propagation good enough for the float16 pass: for each node, the output element types from its
 * input types and attributes (ONNX type constraints). Unknown ops default to their first input's type,
 * which is what most elementwise and data-movement ops do.
 */
import type { TGraphProto, TNodeProto } from "../../onnx/onnx-proto";
import { DTYPE, findAttribute, getIntAttribute } from "../quantize/onnx-helpers";

const INT64_OUTPUT = new Set(["Shape", "Size", "NonZero", "ArgMax", "ArgMin", "NonMaxSuppression"]);
const BOOL_OUTPUT = new Set(["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf"]);
const INT32_OUTPUT = new Set(["MatMulInteger", "ConvInteger"]);
const CONTROL_FLOW: ReadonlySet<string> = new Set(["If", "Loop", "Scan"]);
const DTYPE_ATTR_OPS = new Set(["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "EyeLike", "Multinomial", "Bernoulli"]);

/** Output element types of `node` (undefined where unknown). */
export function inferNodeOutputTypes(node: TNodeProto, typeOf: (name: string) => number | undefined): (number | undefined)[] {
  const op = node.opType ?? "";
  const n = node.output.length;
  const first = node.input.map((i) => (i ? typeOf(i) : undefined)).find((t) => t !== undefined);
  const all = (t: number | undefined) => Array.from({ length: n }, () => t);
  if (node.domain && node.domain !== "ai.onnx") {
    if (node.opType === "DynamicQuantizeMatMul" || node.opType === "MatMulNBits") return all(typeOf(node.input[0]));
    return all(undefined);
  }
  if (op === "Constant") {
    const t = findAttribute(node, "value")?.t;
    if (t) return [t.dataType];
    if (findAttribute(node, "value_float") || findAttribute(node, "value_floats")) return [DTYPE.FLOAT];
    if (findAttribute(node, "value_int") || findAttribute(node, "value_ints")) return [DTYPE.INT64];
    return [undefined];
  }
  if (INT64_OUTPUT.has(op)) return all(DTYPE.INT64);
  if (BOOL_OUTPUT.has(op)) return all(DTYPE.BOOL);
  if (INT32_OUTPUT.has(op)) return all(DTYPE.INT32);
  if (op === "TopK" || op === "MaxPool") return [first, DTYPE.INT64].slice(0, n);
  if (op === "Unique") return [first, DTYPE.INT64, DTYPE.INT64, DTYPE.INT64].slice(0, n);
  if (op === "Cast") return [getIntAttribute(node, "to", DTYPE.FLOAT)];
  if (op === "CastLike") return [typeOf(node.input[1])];
  if (op === "Where") return [typeOf(node.input[1])];
  if (op === "OneHot") return [typeOf(node.input[2])];
  if (op === "ConstantOfShape") return [findAttribute(node, "value")?.t?.dataType ?? DTYPE.FLOAT];
  if (DTYPE_ATTR_OPS.has(op)) {
    const d = findAttribute(node, "dtype");
    return all(d?.i !== undefined ? Number(d.i) : op.endsWith("Like") ? first : DTYPE.FLOAT);
  }
  if (op === "QuantizeLinear") return [node.input[2] ? typeOf(node.input[2]) : DTYPE.UINT8];
  if (op === "DequantizeLinear") return [typeOf(node.input[1]) ?? DTYPE.FLOAT];
  if (op === "DynamicQuantizeLinear") return [DTYPE.UINT8, DTYPE.FLOAT, DTYPE.UINT8];
  if (op === "If") {
    const g = findAttribute(node, "then_branch")?.g;
    return g ? g.output.map((o) => o.type?.tensorType?.elemType) : all(undefined);
  }
  if (op === "Loop") {
    const g = findAttribute(node, "body")?.g;
    return g ? g.output.slice(1).map((o) => o.type?.tensorType?.elemType) : all(undefined);
  }
  if (op === "Scan") {
    const g = findAttribute(node, "body")?.g;
    return g ? g.output.map((o) => o.type?.tensorType?.elemType) : all(undefined);
  }
  return all(first);
}

/** Element types of every value of a graph, given the types visible from outer scopes. */
export function inferGraphTypes(graph: TGraphProto, outer: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const types = new Map<string, number>(outer);
  for (const v of [...graph.input, ...graph.valueInfo]) {
    const t = v.type?.tensorType?.elemType;
    if (v.name && t) types.set(v.name, t);
  }
  for (const t of graph.initializer) if (t.name && t.dataType) types.set(t.name, t.dataType);
  for (const node of graph.node) {
    const outs = inferNodeOutputTypes(node, (n) => types.get(n));
    // Exporters often leave subgraph outputs untyped (silero VAD's nested Ifs): infer them from the body.
    const body = findAttribute(node, node.opType === "If" ? "then_branch" : "body")?.g;
    if (body && CONTROL_FLOW.has(node.opType ?? "") && outs.some((t) => t === undefined)) {
      const inner = inferGraphTypes(body, types);
      const bodyOutputs = node.opType === "Loop" ? body.output.slice(1) : body.output;
      bodyOutputs.forEach((o, i) => {
        if (i < outs.length && outs[i] === undefined) outs[i] = inner.get(o.name ?? "");
      });
    }
    node.output.forEach((o, i) => {
      if (o && outs[i] !== undefined) types.set(o, outs[i]!);
    });
  }
  return types;
}
