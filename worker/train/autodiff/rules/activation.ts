/** Gradients of activations: Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, Clip, Softmax, LogSoftmax. */
import type { TGradContext, TGradRule } from "../grad-rule";
import { getAttrFloat, getAttrInt, normalizeAxis, throwUnsupported } from "./rule-utils";

function unary(fn: (ctx: TGradContext, g: string, x: string, y: string) => string): TGradRule {
  return {
    differentiableInputs: () => [0],
    backward: (ctx) => [fn(ctx, ctx.gradOf(0)!, ctx.node.input[0]!, ctx.node.output[0]!)],
  };
}

/** Passes the gradient where `mask` holds, else 0. */
function maskGrad(ctx: TGradContext, mask: string, g: string): string {
  return ctx.b.emit1("Where", [mask, g, ctx.b.constFloat([0], [])]);
}

/** Softmax/LogSoftmax before opset 13 flatten to 2-D around `axis`; that equals the new form only on the last axis. */
function readSoftmaxAxis(ctx: TGradContext): number {
  const rank = ctx.shapeOf(ctx.node.input[0]!).length;
  const axis = normalizeAxis(getAttrInt(ctx.node, "axis", ctx.opset >= 13 ? -1 : 1), rank);
  if (ctx.opset < 13 && axis !== rank - 1) throwUnsupported(ctx.node, "opset < 13 softmax over a non-last axis");
  return axis;
}

const SOFTMAX: TGradRule = unary((ctx, g, _x, y) => {
  const axis = readSoftmaxAxis(ctx);
  const gy = ctx.b.emit1("Mul", [g, y]);
  const s = ctx.b.emit1("ReduceSum", [gy, ctx.b.constInt64([axis])], { keepdims: { int: 1 } });
  return ctx.b.emit1("Mul", [y, ctx.b.emit1("Sub", [g, s])]);
});

const LOG_SOFTMAX: TGradRule = unary((ctx, g, _x, y) => {
  const axis = readSoftmaxAxis(ctx);
  const s = ctx.b.emit1("ReduceSum", [g, ctx.b.constInt64([axis])], { keepdims: { int: 1 } });
  return ctx.b.emit1("Sub", [g, ctx.b.emit1("Mul", [ctx.b.emit1("Exp", [y]), s])]);
});

const CLIP: TGradRule = {
  differentiableInputs: () => [0],
  backward: (ctx) => {
    const [x, min, max] = ctx.node.input;
    const g = ctx.gradOf(0)!;
    let lo = min ? min : undefined;
    let hi = max ? max : undefined;
    if (ctx.opset < 11) {
      const fmin = getAttrFloat(ctx.node, "min");
      const fmax = getAttrFloat(ctx.node, "max");
      lo = fmin !== undefined ? ctx.b.constFloat([fmin], []) : undefined;
      hi = fmax !== undefined ? ctx.b.constFloat([fmax], []) : undefined;
    }
    if (!lo && !hi) return [g];
    // Inside [lo, hi] exactly when the clipped value equals the input: one compare instead of two plus an And.
    return [maskGrad(ctx, ctx.b.emit1("Equal", [x!, ctx.node.output[0]!]), g)];
  },
};

export const ACTIVATION_RULES: [string, TGradRule][] = [
  // The mask reads the output (y > 0 exactly when x > 0), so the input has no consumer besides Relu and onnxruntime
  // can fuse Conv + Relu in the forward pass.
  ["Relu", unary((ctx, g, _x, y) => maskGrad(ctx, ctx.b.emit1("Greater", [y, ctx.b.constFloat([0], [])]), g))],
  [
    "LeakyRelu",
    unary((ctx, g, x) => {
      const alpha = getAttrFloat(ctx.node, "alpha", 0.01)!;
      const pos = ctx.b.emit1("Greater", [x, ctx.b.constFloat([0], [])]);
      return ctx.b.emit1("Where", [pos, g, ctx.b.emit1("Mul", [g, ctx.b.constFloat([alpha], [])])]);
    }),
  ],
  [
    "Sigmoid",
    unary((ctx, g, _x, y) => {
      const oneMinus = ctx.b.emit1("Sub", [ctx.b.constFloat([1], []), y]);
      return ctx.b.emit1("Mul", [g, ctx.b.emit1("Mul", [y, oneMinus])]);
    }),
  ],
  [
    "Tanh",
    unary((ctx, g, _x, y) => {
      const oneMinusSq = ctx.b.emit1("Sub", [ctx.b.constFloat([1], []), ctx.b.emit1("Mul", [y, y])]);
      return ctx.b.emit1("Mul", [g, oneMinusSq]);
    }),
  ],
  [
    "HardSigmoid",
    unary((ctx, g, x) => {
      const alpha = getAttrFloat(ctx.node, "alpha", 0.2)!;
      const beta = getAttrFloat(ctx.node, "beta", 0.5)!;
      const t = ctx.b.emit1("Add", [ctx.b.emit1("Mul", [x, ctx.b.constFloat([alpha], [])]), ctx.b.constFloat([beta], [])]);
      const inside = ctx.b.emit1("And", [
        ctx.b.emit1("Greater", [t, ctx.b.constFloat([0], [])]),
        ctx.b.emit1("Less", [t, ctx.b.constFloat([1], [])]),
      ]);
      return maskGrad(ctx, inside, ctx.b.emit1("Mul", [g, ctx.b.constFloat([alpha], [])]));
    }),
  ],
  [
    "HardSwish",
    unary((ctx, g, x) => {
      // y = x·clamp(x/6 + 1/2, 0, 1): slope 0 below −3, 1 above 3, (2x + 3)/6 = c/3 + 1/2 between, with c = x there.
      // Outside, c = ±1.5 gives the same formula the right slope, and x − c is exactly Shrink(x, lambd 3, bias 1.5).
      // Five plain float ops instead of two compares and two Wheres: this rule ran on every MobileNetV3 block.
      const b = ctx.b;
      const c = b.emit1("Sub", [x, b.emit1("Shrink", [x], { lambd: 3, bias: 1.5 })]);
      const slope = b.emit1("Add", [b.emit1("Mul", [c, b.constFloat([1 / 3], [])]), b.constFloat([0.5], [])]);
      return b.emit1("Mul", [g, slope]);
    }),
  ],
  ["Clip", CLIP],
  ["Softmax", SOFTMAX],
  ["LogSoftmax", LOG_SOFTMAX],
];
