/** Gradients of data-movement ops: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Split, Slice, Pad, Gather. */
import type { TGradContext, TGradRule } from "../grad-rule";
import { getAttrInt, getAttrInts, getAttrString, normalizeAxis, throwUnsupported } from "./rule-utils";

/** Ops that only change the shape: the gradient is the output gradient reshaped back. */
const RESHAPE_LIKE: TGradRule = {
  differentiableInputs: () => [0],
  backward: (ctx) => [ctx.b.reshape(ctx.gradOf(0)!, ctx.shapeOf(ctx.node.output[0]!), ctx.shapeOf(ctx.node.input[0]!))],
};

const TRANSPOSE: TGradRule = {
  backward: (ctx) => {
    const rank = ctx.shapeOf(ctx.node.input[0]!).length;
    const perm = getAttrInts(ctx.node, "perm") ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inverse: number[] = [];
    perm.forEach((p, i) => (inverse[p] = i));
    return [ctx.b.emit1("Transpose", [ctx.gradOf(0)!], { perm: { ints: inverse } })];
  },
};

const CONCAT: TGradRule = {
  backward: (ctx) => {
    const rank = ctx.shapeOf(ctx.node.output[0]!).length;
    const axis = normalizeAxis(getAttrInt(ctx.node, "axis", 0), rank);
    const sizes = ctx.node.input.map((i) => ctx.shapeOf(i)[axis]!);
    const parts = ctx.b.emit("Split", [ctx.gradOf(0)!, ctx.b.constInt64(sizes)], { axis: { int: axis } }, sizes.length);
    return parts.map((p, i) => (ctx.needsGrad(i) ? p : undefined));
  },
};

const SPLIT: TGradRule = {
  differentiableInputs: () => [0],
  backward: (ctx) => {
    const rank = ctx.shapeOf(ctx.node.input[0]!).length;
    const axis = normalizeAxis(getAttrInt(ctx.node, "axis", 0), rank);
    // Outputs nothing downstream uses get zero gradients.
    const parts = ctx.node.output.map((o, i) => ctx.gradOf(i) ?? ctx.b.zeros(ctx.shapeOf(o)));
    return [parts.length === 1 ? parts[0]! : ctx.b.emit1("Concat", parts, { axis: { int: axis } })];
  },
};

/** Reads Slice's starts/ends/axes/steps (inputs since opset 10, attributes before). */
function readSliceParams(ctx: TGradContext): { starts: number[]; ends: number[]; axes: number[]; steps: number[] } {
  const node = ctx.node;
  const rank = ctx.shapeOf(node.input[0]!).length;
  if (ctx.opset < 10) {
    const starts = getAttrInts(node, "starts")!;
    return { starts, ends: getAttrInts(node, "ends")!, axes: getAttrInts(node, "axes") ?? starts.map((_, i) => i), steps: starts.map(() => 1) };
  }
  const read = (i: number): number[] | undefined => (node.input[i] ? ctx.readConstant(node.input[i]!) : undefined);
  const starts = read(1);
  const ends = read(2);
  if (!starts || !ends) throwUnsupported(node, "starts/ends computed at run time");
  const axes = (node.input[3] ? read(3) : starts.map((_, i) => i)) ?? throwUnsupported(node, "axes computed at run time");
  const steps = (node.input[4] ? read(4) : starts.map(() => 1)) ?? throwUnsupported(node, "steps computed at run time");
  return { starts, ends, axes: axes.map((a) => normalizeAxis(a, rank)), steps };
}

const SLICE: TGradRule = {
  differentiableInputs: () => [0],
  backward: (ctx) => {
    const xs = ctx.shapeOf(ctx.node.input[0]!);
    const ys = ctx.shapeOf(ctx.node.output[0]!);
    const { starts, axes, steps } = readSliceParams(ctx);
    const before = xs.map(() => 0);
    const after = xs.map(() => 0);
    axes.forEach((axis, i) => {
      if (steps[i] !== 1) throwUnsupported(ctx.node, "steps other than 1");
      const dim = xs[axis]!;
      const s = starts[i]! < 0 ? Math.max(0, starts[i]! + dim) : Math.min(starts[i]!, dim);
      before[axis] = s;
      after[axis] = dim - s - ys[axis]!;
    });
    return [ctx.b.emit1("Pad", [ctx.gradOf(0)!, ctx.b.constInt64([...before, ...after])])];
  },
};

const PAD: TGradRule = {
  differentiableInputs: () => [0],
  backward: (ctx) => {
    const mode = ctx.opset >= 11 ? getAttrString(ctx.node, "mode", "constant") : getAttrString(ctx.node, "mode", "constant");
    if (mode !== "constant") throwUnsupported(ctx.node, `mode ${mode}`);
    const xs = ctx.shapeOf(ctx.node.input[0]!);
    const rank = xs.length;
    let pads = ctx.opset >= 11 ? ctx.readConstant(ctx.node.input[1]!) : getAttrInts(ctx.node, "pads");
    if (!pads) throwUnsupported(ctx.node, "pads computed at run time");
    if (ctx.opset >= 18 && ctx.node.input[3]) {
      const axes = ctx.readConstant(ctx.node.input[3]) ?? throwUnsupported(ctx.node, "axes computed at run time");
      const full = Array(2 * rank).fill(0);
      axes.forEach((a, i) => {
        full[normalizeAxis(a, rank)] = pads![i];
        full[normalizeAxis(a, rank) + rank] = pads![i + axes.length];
      });
      pads = full;
    }
    if (pads.some((p) => p < 0)) throwUnsupported(ctx.node, "negative pads");
    const starts = pads.slice(0, rank);
    const ends = starts.map((s, i) => s + xs[i]!);
    const b = ctx.b;
    return [b.emit1("Slice", [ctx.gradOf(0)!, b.constInt64(starts), b.constInt64(ends), b.constInt64(xs.map((_, i) => i))])];
  },
};

const GATHER: TGradRule = {
  differentiableInputs: () => [0],
  backward: (ctx) => {
    const [x, indices] = ctx.node.input as [string, string];
    const xs = ctx.shapeOf(x);
    if (normalizeAxis(getAttrInt(ctx.node, "axis", 0), xs.length) !== 0) throwUnsupported(ctx.node, "axis other than 0");
    const b = ctx.b;
    // Embedding-style gather: scatter-add each gathered row's gradient back onto its row.
    const rowShape = xs.slice(1);
    const idx = b.emit1("Reshape", [b.emit1("Cast", [indices], { to: { int: 7 } }), b.constInt64([-1, 1])]);
    // Negative indices count from the end, as Gather allows.
    const wrapped = b.emit1("Where", [
      b.emit1("Less", [idx, b.constInt64([0], [])]),
      b.emit1("Add", [idx, b.constInt64([xs[0]!], [])]),
      idx,
    ]);
    const updates = b.emit1("Reshape", [ctx.gradOf(0)!, b.constInt64([-1, ...rowShape])]);
    return [b.emit1("ScatterND", [b.zeros(xs), wrapped, updates], { reduction: "add" })];
  },
};

export const SHAPE_RULES: [string, TGradRule][] = [
  ["Reshape", RESHAPE_LIKE],
  ["Flatten", RESHAPE_LIKE],
  ["Squeeze", RESHAPE_LIKE],
  ["Unsqueeze", RESHAPE_LIKE],
  ["Transpose", TRANSPOSE],
  ["Concat", CONCAT],
  ["Split", SPLIT],
  ["Slice", SLICE],
  ["Pad", PAD],
  ["Gather", GATHER],
];
