/** Gradients of MaxPool (Indices + ScatterElements add), AveragePool (ConvTranspose with a ones kernel) and GlobalAveragePool. */
import { countElements } from "../graph-builder";
import type { TGradRule } from "../grad-rule";
import { readConvGeometry, emitInputGrad } from "./conv";
import { getAttrInt, getAttrInts, throwUnsupported } from "./rule-utils";

const MAX_POOL: TGradRule = {
  differentiableInputs: () => [0],
  backward: (ctx) => {
    const x = ctx.node.input[0]!;
    const g = ctx.gradOf(0)!;
    if (getAttrInt(ctx.node, "storage_order", 0) !== 0) throwUnsupported(ctx.node, "column-major storage_order");
    // Indices are flat over the whole N*C*H*W input (RECIPE), so scatter into one flat buffer. Scatter-add is
    // exact where an equality mask would double-count ties.
    const indices = ctx.node.output[1] || ctx.addForwardOutput(1, "maxpool_indices");
    const xs = ctx.shapeOf(x);
    const flat = ctx.b.constInt64([-1]);
    const scattered = ctx.b.emit1(
      "ScatterElements",
      [ctx.b.zeros([countElements(xs)]), ctx.b.emit1("Reshape", [indices, flat]), ctx.b.emit1("Reshape", [g, flat])],
      { axis: { int: 0 }, reduction: "add" },
    );
    return [ctx.b.emit1("Reshape", [scattered, ctx.b.constInt64(xs)])];
  },
};

const AVERAGE_POOL: TGradRule = {
  differentiableInputs: () => [0],
  backward: (ctx) => {
    const x = ctx.node.input[0]!;
    const g = ctx.gradOf(0)!;
    const xs = ctx.shapeOf(x);
    const ys = ctx.shapeOf(ctx.node.output[0]!);
    const kernel = getAttrInts(ctx.node, "kernel_shape")!;
    if ((getAttrInts(ctx.node, "dilations") ?? []).some((d) => d !== 1)) throwUnsupported(ctx.node, "dilated AveragePool");
    const geo = readConvGeometry(ctx, xs.slice(2), kernel);
    const includePad = getAttrInt(ctx.node, "count_include_pad", 0) === 1;
    const spatial = xs.slice(2);
    const outSpatial = ys.slice(2);
    // Each output's divisor: kernel cells inside the input (or inside input + explicit pads with count_include_pad).
    const divisors = new Float32Array(countElements(outSpatial));
    for (let o = 0; o < divisors.length; o++) {
      let rest = o;
      let count = 1;
      for (let i = outSpatial.length - 1; i >= 0; i--) {
        const pos = rest % outSpatial[i]!;
        rest = Math.floor(rest / outSpatial[i]!);
        const start = pos * geo.strides[i]! - geo.padsBegin[i]!;
        const lo = includePad ? -geo.padsBegin[i]! : 0;
        const hi = includePad ? spatial[i]! + geo.padsEnd[i]! : spatial[i]!;
        count *= Math.max(0, Math.min(start + kernel[i]!, hi) - Math.max(start, lo));
      }
      divisors[o] = 1 / Math.max(1, count);
    }
    const scaled = ctx.b.emit1("Mul", [g, ctx.b.constFloat(divisors, outSpatial)]);
    const channels = xs[1]!;
    const ones = ctx.b.constFloat(new Float32Array(channels * countElements(kernel)).fill(1), [channels, 1, ...kernel]);
    return [emitInputGrad(ctx, scaled, ones, [channels, 1, ...kernel], channels, spatial, outSpatial, geo)];
  },
};

const GLOBAL_AVERAGE_POOL: TGradRule = {
  backward: (ctx) => {
    const xs = ctx.shapeOf(ctx.node.input[0]!);
    // Broadcasting Mul by a [1, 1, ...spatial] constant both scales and spreads the gradient; onnxruntime's Expand
    // measured ~3× slower for this shape.
    const spatial = xs.slice(2);
    const spread = ctx.b.constFloat(new Float32Array(countElements(spatial)).fill(1 / countElements(spatial)), [1, 1, ...spatial]);
    return [ctx.b.emit1("Mul", [ctx.gradOf(0)!, spread])];
  },
};

export const POOL_RULES: [string, TGradRule][] = [
  ["MaxPool", MAX_POOL],
  ["AveragePool", AVERAGE_POOL],
  ["GlobalAveragePool", GLOBAL_AVERAGE_POOL],
];
