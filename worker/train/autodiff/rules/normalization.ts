/** Gradients of BatchNormalization (inference form: running statistics are constants) and LayerNormalization. */
import type { TGradRule } from "../grad-rule";
import { getAttrFloat, getAttrInt, normalizeAxis, throwUnsupported } from "./rule-utils";

const BATCH_NORM: TGradRule = {
  // Running mean/variance are statistics, not parameters: no gradient flows to them.
  differentiableInputs: () => [0, 1, 2],
  backward: (ctx) => {
    const [x, scale, , mean, variance] = ctx.node.input as [string, string, string, string, string];
    if (getAttrInt(ctx.node, "training_mode", 0) === 1) throwUnsupported(ctx.node, "training_mode=1");
    const g = ctx.gradOf(0)!;
    const xs = ctx.shapeOf(x);
    const b = ctx.b;
    const eps = getAttrFloat(ctx.node, "epsilon", 1e-5)!;
    const perChannel = [1, xs[1]!, ...xs.slice(2).map(() => 1)];
    const c = [xs[1]!];
    const inv = b.reshape(b.emit1("Reciprocal", [b.emit1("Sqrt", [b.emit1("Add", [variance, b.constFloat([eps], [])])])]), c, perChannel);
    const otherAxes = b.constInt64([0, ...xs.slice(2).map((_, i) => i + 2)]);
    const grads: (string | undefined)[] = [undefined, undefined, undefined];
    if (ctx.needsGrad(0)) grads[0] = b.emit1("Mul", [g, b.emit1("Mul", [b.reshape(scale, c, perChannel), inv])]);
    if (ctx.needsGrad(1)) {
      const xhat = b.emit1("Mul", [b.emit1("Sub", [x, b.reshape(mean, c, perChannel)]), inv]);
      grads[1] = b.emit1("ReduceSum", [b.emit1("Mul", [g, xhat]), otherAxes], { keepdims: { int: 0 } });
    }
    if (ctx.needsGrad(2)) grads[2] = b.emit1("ReduceSum", [g, otherAxes], { keepdims: { int: 0 } });
    return grads;
  },
};

const LAYER_NORM: TGradRule = {
  backward: (ctx) => {
    const [x, scale, bias] = ctx.node.input as [string, string, string | undefined];
    const g = ctx.gradOf(0)!;
    const xs = ctx.shapeOf(x);
    const rank = xs.length;
    const axis = normalizeAxis(getAttrInt(ctx.node, "axis", -1), rank);
    if (getAttrInt(ctx.node, "stash_type", 1) !== 1) throwUnsupported(ctx.node, "stash_type other than float");
    const b = ctx.b;
    // Mean and InvStdDev keep the normalized axes as size 1, so they broadcast against X.
    const mean = ctx.node.output[1] || ctx.addForwardOutput(1, "ln_mean");
    const invStd = ctx.node.output[2] || ctx.addForwardOutput(2, "ln_inv_std");
    const xhat = b.emit1("Mul", [b.emit1("Sub", [x, mean]), invStd]);
    const normAxes = b.constInt64(Array.from({ length: rank - axis }, (_, i) => axis + i));
    const grads: (string | undefined)[] = [undefined, undefined, undefined];
    if (ctx.needsGrad(0)) {
      // dx = inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) over the normalized axes.
      const dxhat = b.emit1("Mul", [g, scale]);
      const count = xs.slice(axis).reduce((p, d) => p * d, 1);
      const m1 = b.emit1("Mul", [b.emit1("ReduceSum", [dxhat, normAxes], { keepdims: { int: 1 } }), b.constFloat([1 / count], [])]);
      const m2 = b.emit1("ReduceSum", [b.emit1("Mul", [dxhat, xhat]), normAxes], { keepdims: { int: 1 } });
      const m2mean = b.emit1("Mul", [m2, b.constFloat([1 / count], [])]);
      grads[0] = b.emit1("Mul", [invStd, b.emit1("Sub", [b.emit1("Sub", [dxhat, m1]), b.emit1("Mul", [xhat, m2mean])])]);
    }
    if (ctx.needsGrad(1)) grads[1] = b.reduceToShape(b.emit1("Mul", [g, xhat]), xs, ctx.shapeOf(scale));
    if (bias && ctx.needsGrad(2)) grads[2] = b.reduceToShape(g, xs, ctx.shapeOf(bias));
    return grads;
  },
};

export const NORMALIZATION_RULES: [string, TGradRule][] = [
  ["BatchNormalization", BATCH_NORM],
  ["LayerNormalization", LAYER_NORM],
];
