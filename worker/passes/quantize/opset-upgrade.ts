/**
 * Raises the default-domain opset to 13, which per-channel QuantizeLinear/DequantizeLinear (`axis`) needs.
 * Ops whose semantics changed on the way (attributes that became inputs, Softmax's 2-D coercion) are rewritten;
 * a model with an op we cannot convert is left as it is and the caller falls back to per-tensor weights.
 */
import type { TGraphProto, TModelProto, TNodeProto } from "../../onnx/onnx-proto";
import {
  createAttribute,
  createInt64Tensor,
  createNodeProto,
  findAttribute,
  forEachGraph,
  getDefaultOpset,
  getIntAttribute,
  getIntsAttribute,
  createFloatTensor,
  type createNameFactory,
} from "./onnx-helpers";

/** Ops whose opset-7..12 behaviour is the same at opset 13 for every valid model. */
const UNCHANGED_OPS = new Set([
  "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "AveragePool",
  "BatchNormalization", "Cast", "Ceil", "Celu", "Clip", "Concat", "Constant", "ConstantOfShape", "Conv",
  "ConvTranspose", "Cos", "Cosh", "CumSum", "DepthToSpace", "DequantizeLinear", "Div", "Dropout", "Einsum", "Elu",
  "Equal", "Erf", "Exp", "Expand", "Flatten", "Floor", "GRU", "Gather", "GatherElements", "GatherND", "Gemm",
  "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "Greater", "GreaterOrEqual", "HardSigmoid", "Identity", "If",
  "InstanceNormalization", "IsInf", "IsNaN", "LRN", "LSTM", "LeakyRelu", "Less", "LessOrEqual", "Log", "Loop",
  "LpNormalization", "MatMul", "MatMulInteger", "Max", "MaxPool", "Mean", "Min", "Mod", "Mul", "Neg", "NonZero",
  "Not", "OneHot", "Or", "PRelu", "Pad", "Pow", "QuantizeLinear", "RNN", "Range", "Reciprocal", "ReduceL1",
  "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd",
  "ReduceSumSquare", "Relu", "Reshape", "Resize", "Round", "ScatterElements", "ScatterND", "Selu", "Shape",
  "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Size", "Slice", "Softplus", "Softsign", "SpaceToDepth", "Sqrt",
  "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Tile", "TopK", "Transpose", "Where", "Xor",
  "Squeeze", "Unsqueeze", "Split", "ReduceSum", "Softmax", "LogSoftmax", "Hardmax",
]);

/** Minimum source opset for ops that only became compatible with 13 at that version (attributes -> inputs). */
const MIN_COMPATIBLE_VERSION: Record<string, number> = {
  Slice: 10,
  Clip: 11,
  Pad: 11,
  Resize: 11,
  TopK: 10,
  Dropout: 12,
};

type TNamer = ReturnType<typeof createNameFactory>;

/** Why the model cannot be upgraded, or undefined when it can. */
export function findOpsetUpgradeBlocker(model: TModelProto): string | undefined {
  const from = getDefaultOpset(model);
  let blocker: string | undefined;
  forEachGraph(model.graph!, (g) => {
    for (const n of g.node) {
      if (n.domain && n.domain !== "ai.onnx") continue;
      const op = n.opType ?? "";
      if (!UNCHANGED_OPS.has(op)) blocker ??= `${op} (opset ${from}) has no conversion to opset 13`;
      const min = MIN_COMPATIBLE_VERSION[op];
      // Clip/Slice/Pad/TopK/Dropout before their cut-over versions are rewritten below; Resize-10 is not.
      if (min !== undefined && from < min && !["Clip", "Slice", "Pad", "TopK", "Dropout"].includes(op)) {
        blocker ??= `${op} (opset ${from}) has no conversion to opset 13`;
      }
    }
  });
  return blocker;
}

/**
 * Upgrades the model (in place) to default opset 13 (and IR ≥ 7). Returns false, changing nothing, when
 * `findOpsetUpgradeBlocker` finds an op it cannot convert.
 */
export function upgradeOpsetTo13(model: TModelProto, namer: TNamer): boolean {
  const from = getDefaultOpset(model);
  if (from >= 13) return true;
  if (findOpsetUpgradeBlocker(model)) return false;
  forEachGraph(model.graph!, (g) => convertGraph(g, from, namer));
  const o = model.opsetImport.find((x) => !x.domain || x.domain === "ai.onnx")!;
  o.version = 13;
  if ((model.irVersion ?? 0) < 7) model.irVersion = 7;
  return true;
}

function convertGraph(g: TGraphProto, from: number, namer: TNamer): void {
  const out: TNodeProto[] = [];
  const addConst = (base: string, values: number[]) => {
    const name = namer(base);
    g.initializer.push(createInt64Tensor(name, [values.length], values));
    return name;
  };
  for (const n of g.node) {
    if (n.domain && n.domain !== "ai.onnx") {
      out.push(n);
      continue;
    }
    const op = n.opType ?? "";
    const dropAttrs = (...names: string[]) => {
      n.attribute = n.attribute.filter((a) => !names.includes(a.name ?? ""));
    };
    if ((op === "Squeeze" || op === "Unsqueeze" || op === "ReduceSum") && findAttribute(n, "axes")) {
      const axes = getIntsAttribute(n, "axes")!;
      dropAttrs("axes");
      n.input = [n.input[0], addConst(`${n.name || op}_axes`, axes)];
    } else if (op === "Split" && findAttribute(n, "split")) {
      const split = getIntsAttribute(n, "split")!;
      dropAttrs("split");
      n.input = [n.input[0], addConst(`${n.name || op}_split`, split)];
    } else if (op === "Clip" && from < 11) {
      const mn = findAttribute(n, "min")?.f;
      const mx = findAttribute(n, "max")?.f;
      dropAttrs("min", "max");
      const scalar = (base: string, v: number) => {
        const name = namer(base);
        g.initializer.push(createFloatTensor(name, [], Float32Array.of(v)));
        return name;
      };
      n.input = [n.input[0], mn === undefined ? "" : scalar(`${n.name || op}_min`, mn), mx === undefined ? "" : scalar(`${n.name || op}_max`, mx)];
      while (n.input.length > 1 && n.input[n.input.length - 1] === "") n.input.pop();
    } else if (op === "Slice" && from < 10) {
      const starts = getIntsAttribute(n, "starts")!;
      const ends = getIntsAttribute(n, "ends")!;
      const axes = getIntsAttribute(n, "axes");
      dropAttrs("starts", "ends", "axes");
      const base = n.name || op;
      n.input = [n.input[0], addConst(`${base}_starts`, starts), addConst(`${base}_ends`, ends)];
      if (axes) n.input.push(addConst(`${base}_axes`, axes));
    } else if (op === "Pad" && from < 11) {
      const pads = getIntsAttribute(n, "pads") ?? getIntsAttribute(n, "paddings")!;
      const value = findAttribute(n, "value")?.f ?? 0;
      dropAttrs("pads", "paddings", "value");
      const v = namer(`${n.name || op}_value`);
      g.initializer.push(createFloatTensor(v, [], Float32Array.of(value)));
      n.input = [n.input[0], addConst(`${n.name || op}_pads`, pads), v];
    } else if (op === "TopK" && from < 10) {
      const k = getIntAttribute(n, "k", 1);
      dropAttrs("k");
      n.input = [n.input[0], addConst(`${n.name || op}_k`, [k])];
    } else if (op === "Dropout" && from < 12) {
      // Inference-only: Dropout is the identity; the old `ratio`/`is_test` attributes no longer exist.
      dropAttrs("ratio", "is_test");
    } else if (op === "BatchNormalization") {
      dropAttrs("spatial", "consumed_inputs", "is_test");
    } else if ((op === "Softmax" || op === "LogSoftmax" || op === "Hardmax") && from < 13) {
      const axis = getIntAttribute(n, "axis", 1);
      if (axis !== -1) {
        // Before 13 these coerced the input to 2-D at `axis`; Flatten + op(axis=-1) + Reshape(Shape(x)) is exact.
        const base = n.name || op;
        const flat = namer(`${base}_flat`);
        const shape = namer(`${base}_shape`);
        const res = namer(`${base}_2d`);
        out.push(createNodeProto("Shape", [n.input[0]], [shape], { name: namer(`${base}_Shape`) }));
        out.push(createNodeProto("Flatten", [n.input[0]], [flat], { name: namer(`${base}_Flatten`), attribute: [createAttribute("axis", axis, { asInt: true })] }));
        const y = n.output[0];
        n.input = [flat];
        n.output = [res];
        n.attribute = [createAttribute("axis", -1, { asInt: true })];
        out.push(n);
        out.push(createNodeProto("Reshape", [res, shape], [y], { name: namer(`${base}_Reshape`) }));
        continue;
      }
    }
    out.push(n);
  }
  g.node = out;
}
