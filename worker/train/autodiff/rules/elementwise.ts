/** Gradients of broadcasting arithmetic and unary math: Add, Sub, Mul, Div, Neg, Exp, Log, Sqrt, Erf, Identity. */
import { broadcastShapes } from "../graph-builder";
import type { TGradContext, TGradRule } from "../grad-rule";

function binaryShapes(ctx: TGradContext): { a: number[]; b: number[]; y: number[] } {
  const a = ctx.shapeOf(ctx.node.input[0]!);
  const b = ctx.shapeOf(ctx.node.input[1]!);
  return { a, b, y: broadcastShapes(a, b) };
}

const ADD: TGradRule = {
  backward: (ctx) => {
    const g = ctx.gradOf(0)!;
    const { a, b, y } = binaryShapes(ctx);
    return [ctx.needsGrad(0) ? ctx.b.reduceToShape(g, y, a) : undefined, ctx.needsGrad(1) ? ctx.b.reduceToShape(g, y, b) : undefined];
  },
};

const SUB: TGradRule = {
  backward: (ctx) => {
    const g = ctx.gradOf(0)!;
    const { a, b, y } = binaryShapes(ctx);
    return [
      ctx.needsGrad(0) ? ctx.b.reduceToShape(g, y, a) : undefined,
      ctx.needsGrad(1) ? ctx.b.reduceToShape(ctx.b.emit1("Neg", [g]), y, b) : undefined,
    ];
  },
};

const MUL: TGradRule = {
  backward: (ctx) => {
    const g = ctx.gradOf(0)!;
    const [x0, x1] = ctx.node.input as [string, string];
    const { a, b, y } = binaryShapes(ctx);
    return [
      ctx.needsGrad(0) ? ctx.b.reduceToShape(ctx.b.emit1("Mul", [g, x1]), y, a) : undefined,
      ctx.needsGrad(1) ? ctx.b.reduceToShape(ctx.b.emit1("Mul", [g, x0]), y, b) : undefined,
    ];
  },
};

const DIV: TGradRule = {
  backward: (ctx) => {
    const g = ctx.gradOf(0)!;
    const [, x1] = ctx.node.input as [string, string];
    const out = ctx.node.output[0]!;
    const { a, b, y } = binaryShapes(ctx);
    const gOverB = ctx.b.emit1("Div", [g, x1]);
    // d(a/b)/db = -(a/b)/b: reuse the forward output instead of squaring b.
    return [
      ctx.needsGrad(0) ? ctx.b.reduceToShape(gOverB, y, a) : undefined,
      ctx.needsGrad(1) ? ctx.b.reduceToShape(ctx.b.emit1("Neg", [ctx.b.emit1("Mul", [gOverB, out])]), y, b) : undefined,
    ];
  },
};

/** A unary rule from a function of (grad, input, output) to the input gradient. */
function unary(fn: (ctx: TGradContext, g: string, x: string, y: string) => string): TGradRule {
  return {
    differentiableInputs: () => [0],
    backward: (ctx) => [fn(ctx, ctx.gradOf(0)!, ctx.node.input[0]!, ctx.node.output[0]!)],
  };
}

export const ELEMENTWISE_RULES: [string, TGradRule][] = [
  ["Add", ADD],
  ["Sub", SUB],
  ["Mul", MUL],
  ["Div", DIV],
  ["Neg", unary((ctx, g) => ctx.b.emit1("Neg", [g]))],
  ["Identity", unary((_ctx, g) => g)],
  // Inference-mode Dropout is the identity (training-mode masks are not reproduced).
  ["Dropout", unary((_ctx, g) => g)],
  ["Exp", unary((ctx, g, _x, y) => ctx.b.emit1("Mul", [g, y]))],
  ["Log", unary((ctx, g, x) => ctx.b.emit1("Div", [g, x]))],
  ["Sqrt", unary((ctx, g, _x, y) => ctx.b.emit1("Div", [ctx.b.emit1("Mul", [g, ctx.b.constFloat([0.5], [])]), y]))],
  [
    "Erf",
    unary((ctx, g, x) => {
      // d erf(x)/dx = 2/sqrt(pi) * exp(-x^2)
      const negSq = ctx.b.emit1("Neg", [ctx.b.emit1("Mul", [x, x])]);
      const d = ctx.b.emit1("Mul", [ctx.b.emit1("Exp", [negSq]), ctx.b.constFloat([2 / Math.sqrt(Math.PI)], [])]);
      return ctx.b.emit1("Mul", [g, d]);
    }),
  ],
];
