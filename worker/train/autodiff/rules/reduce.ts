/** Gradients of ReduceSum and ReduceMean (axes as attribute or input, keepdims, noop_with_empty_axes). */
import { countElements } from "../graph-builder";
import type { TGradContext, TGradRule } from "../grad-rule";
import { getAttrInt, getAttrInts, normalizeAxis, throwUnsupported } from "./rule-utils";

function readReduceAxes(ctx: TGradContext, axesAsInputFrom: number): number[] {
  const rank = ctx.shapeOf(ctx.node.input[0]!).length;
  let axes: number[] | undefined;
  if (ctx.opset >= axesAsInputFrom) {
    const name = ctx.node.input[1];
    axes = name ? (ctx.readConstant(name) ?? throwUnsupported(ctx.node, "axes computed at run time")) : undefined;
  } else {
    axes = getAttrInts(ctx.node, "axes");
  }
  if (!axes || axes.length === 0) {
    return getAttrInt(ctx.node, "noop_with_empty_axes", 0) ? [] : Array.from({ length: rank }, (_, i) => i);
  }
  return axes.map((a) => normalizeAxis(a, rank));
}

function reduceRule(axesAsInputFrom: number, mean: boolean): TGradRule {
  return {
    differentiableInputs: () => [0],
    backward: (ctx) => {
      const xs = ctx.shapeOf(ctx.node.input[0]!);
      const axes = readReduceAxes(ctx, axesAsInputFrom);
      const kept = xs.map((d, i) => (axes.includes(i) ? 1 : d));
      let g = ctx.b.reshape(ctx.gradOf(0)!, ctx.shapeOf(ctx.node.output[0]!), kept);
      // A broadcasting Mul by a constant of the reduced axes' sizes scales and spreads in one pass (faster than Expand).
      const spreadDims = xs.map((d, i) => (axes.includes(i) ? d : 1));
      const scale = mean ? 1 / countElements(axes.map((a) => xs[a]!)) : 1;
      return [ctx.b.emit1("Mul", [g, ctx.b.constFloat(new Float32Array(countElements(spreadDims)).fill(scale), spreadDims)])];
    },
  };
}

export const REDUCE_RULES: [string, TGradRule][] = [
  ["ReduceSum", reduceRule(13, false)],
  ["ReduceMean", reduceRule(18, true)],
];
