/**
 * Conv: uint8 activation Q/DQ on input and output, int8 per-output-channel weights (axis 0), int32 bias.
 * This is the exact pattern onnxruntime fuses into QLinearConv; missing any piece leaves the Conv in float.
 * ConvTranspose is not handled: its QDQ form stays float on the CPU provider (RECIPE.md).
 */
import type { TQdqHandler } from "../qdq-types";

export const CONV_HANDLER: TQdqHandler = {
  plan(node, ctx) {
    const [x, w, b] = node.input;
    if (!ctx.isQuantizableActivation(x) || !ctx.isFloatWeight(w)) return;
    ctx.plan.activations.add(x);
    const spec = ctx.plan.weights.get(w);
    const axis = ctx.perChannel ? 0 : undefined;
    if (spec && spec.axis !== axis) return;
    if (spec) spec.consumers.add(node);
    else ctx.plan.weights.set(w, { axis, consumers: new Set([node]) });
    if (b && ctx.isFloatWeight(b)) ctx.plan.biases.set(node, { name: b, input: x, weight: w });
    ctx.quantizeOutput(node);
  },
};
