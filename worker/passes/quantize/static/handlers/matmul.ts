/**
 * MatMul and Gemm. A constant 2-D weight becomes int8 per output column (MatMul: axis 1 of [K, N]; Gemm: axis 1,
 * or 0 with transB); two activations (attention scores) both get Q/DQ and fuse into QLinearMatMul.
 * Gemm's 1-D bias becomes int32 like Conv's, which QGemm needs.
 */
import { getFloatAttribute, getIntAttribute } from "../../onnx-helpers";
import type { TQdqHandler, TQdqPlanContext } from "../qdq-types";
import type { TNodeProto } from "../../../../onnx/onnx-proto";

function planWeight(ctx: TQdqPlanContext, node: TNodeProto, name: string, axis: number): boolean {
  const t = ctx.index.initializers.get(name)!;
  if (t.dims.length !== 2) return false;
  const a = ctx.perChannel ? axis : undefined;
  const spec = ctx.plan.weights.get(name);
  if (spec && spec.axis !== a) return false;
  if (spec) spec.consumers.add(node);
  else ctx.plan.weights.set(name, { axis: a, consumers: new Set([node]) });
  return true;
}

export const MATMUL_HANDLER: TQdqHandler = {
  plan(node, ctx) {
    const [a, b] = node.input;
    if (!ctx.isQuantizableActivation(a)) return;
    if (ctx.isFloatWeight(b)) {
      if (!planWeight(ctx, node, b, 1)) return;
    } else if (ctx.isQuantizableActivation(b)) {
      ctx.plan.activations.add(b);
    } else {
      return;
    }
    ctx.plan.activations.add(a);
    ctx.quantizeOutput(node);
  },
};

export const GEMM_HANDLER: TQdqHandler = {
  plan(node, ctx) {
    const [a, b, c] = node.input;
    if (!ctx.isQuantizableActivation(a) || !ctx.isFloatWeight(b)) return;
    if (getIntAttribute(node, "transA", 0) !== 0) return;
    const transB = getIntAttribute(node, "transB", 0) === 1;
    if (!planWeight(ctx, node, b, transB ? 0 : 1)) return;
    ctx.plan.activations.add(a);
    const n = ctx.index.initializers.get(b)!.dims[transB ? 0 : 1];
    const bias = c ? ctx.index.initializers.get(c) : undefined;
    // Only a plain [N] bias added once (beta = 1, alpha = 1) has the exact int32 form QGemm expects.
    if (bias && ctx.isFloatWeight(c) && bias.dims.length === 1 && bias.dims[0] === n && getFloatAttribute(node, "beta", 1) === 1 && getFloatAttribute(node, "alpha", 1) === 1) {
      ctx.plan.biases.set(node, { name: c, input: a, weight: b });
    }
    ctx.quantizeOutput(node);
  },
};
