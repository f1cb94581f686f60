/**
 * Ops between the Convs. Two families:
 * - scale-preserving (MaxPool, Resize, Reshape, Transpose, ...): the output reuses the input's scale and zero point,
 *   which is what lets onnxruntime drop DQ→op→Q and run the op on uint8 directly;
 * - arithmetic (Add, Mul, Concat, GlobalAveragePool, ...): inputs and output get their own Q/DQ and onnxruntime
 *   fuses them into QLinearAdd/QLinearMul/QLinearConcat/QLinearGlobalAveragePool.
 * Both only apply when an input is already quantized by a neighbour, so a float island stays float instead of
 * paying for Q/DQ on its own.
 */
import type { TQdqHandler } from "../qdq-types";

/** Output keeps the input's quantization parameters. */
export const SCALE_PRESERVING_HANDLER: TQdqHandler = {
  plan(node, ctx) {
    const x = node.input[0];
    const y = node.output[0];
    if (!ctx.isQuantizableActivation(x) || !ctx.isQuantizableActivation(y)) return;
    if (!ctx.plan.activations.has(x)) return;
    ctx.plan.activations.add(y);
    ctx.plan.sharedScales.set(y, x);
  },
};

/** Every float activation input and the output get their own Q/DQ. */
export const ARITHMETIC_HANDLER: TQdqHandler = {
  plan(node, ctx) {
    const inputs = node.input.filter((i) => i);
    if (inputs.length === 0) return;
    if (!inputs.every((i) => ctx.isQuantizableActivation(i))) return;
    if (!inputs.some((i) => ctx.plan.activations.has(i))) return;
    for (const i of inputs) ctx.plan.activations.add(i);
    ctx.quantizeOutput(node);
  },
};
