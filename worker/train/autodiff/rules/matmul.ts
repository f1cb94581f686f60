/** Gradients of MatMul (batched, broadcasting) and Gemm. */
import { broadcastShapes } from "../graph-builder";
import type { TGradRule } from "../grad-rule";
import { getAttrFloat, getAttrInt, swapLastTwo, throwUnsupported } from "./rule-utils";

const MATMUL: TGradRule = {
  backward: (ctx) => {
    const [a, b] = ctx.node.input as [string, string];
    const g = ctx.gradOf(0)!;
    const sa = ctx.shapeOf(a);
    const sb = ctx.shapeOf(b);
    if (sa.length < 2 || sb.length < 2) throwUnsupported(ctx.node, "1-D MatMul operands");
    const batch = broadcastShapes(sa.slice(0, -2), sb.slice(0, -2));
    const grads: (string | undefined)[] = [undefined, undefined];
    if (ctx.needsGrad(0)) {
      const bt = ctx.b.emit1("Transpose", [b], { perm: { ints: swapLastTwo(sb.length) } });
      const full = ctx.b.emit1("MatMul", [g, bt]);
      grads[0] = ctx.b.reduceToShape(full, [...batch, sa.at(-2)!, sa.at(-1)!], sa);
    }
    if (ctx.needsGrad(1)) {
      const at = ctx.b.emit1("Transpose", [a], { perm: { ints: swapLastTwo(sa.length) } });
      const full = ctx.b.emit1("MatMul", [at, g]);
      grads[1] = ctx.b.reduceToShape(full, [...batch, sb.at(-2)!, sb.at(-1)!], sb);
    }
    return grads;
  },
};

const GEMM: TGradRule = {
  backward: (ctx) => {
    const [a, b, c] = ctx.node.input as [string, string, string | undefined];
    const g = ctx.gradOf(0)!;
    const transA = getAttrInt(ctx.node, "transA", 0);
    const transB = getAttrInt(ctx.node, "transB", 0);
    const alpha = getAttrFloat(ctx.node, "alpha", 1)!;
    const beta = getAttrFloat(ctx.node, "beta", 1)!;
    const gemm = (x: string, y: string, ta: number, tb: number) =>
      ctx.b.emit1("Gemm", [x, y], { alpha, transA: { int: ta }, transB: { int: tb } });
    const grads: (string | undefined)[] = [undefined, undefined, undefined];
    // With A' = op(A), B' = op(B): dA' = alpha dY B'^T, dB' = alpha A'^T dY, transposed back where op transposes.
    if (ctx.needsGrad(0)) grads[0] = transA ? gemm(b, g, transB, 1) : gemm(g, b, 0, transB ? 0 : 1);
    if (ctx.needsGrad(1)) grads[1] = transB ? gemm(g, a, 1, transA) : gemm(a, g, transA ? 0 : 1, 0);
    if (c && ctx.needsGrad(2)) {
      const scaled = beta === 1 ? g : ctx.b.emit1("Mul", [g, ctx.b.constFloat([beta], [])]);
      grads[2] = ctx.b.reduceToShape(scaled, ctx.shapeOf(ctx.node.output[0]!), ctx.shapeOf(c));
    }
    return grads;
  },
};

export const MATMUL_RULES: [string, TGradRule][] = [
  ["MatMul", MATMUL],
  ["Gemm", GEMM],
];
