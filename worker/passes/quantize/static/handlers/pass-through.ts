/**
 * Ops between the Convs. Two families:
 * - scale-preserving (MaxPool, Resize, Reshape, Transpose, ...): the output reuses the input's scale and zero point,
 *   which is what lets onnxruntime drop DQ→op→Q and run the op on uint8 directly;
 * - arithmetic (Add, Mul, Concat, GlobalAveragePool, ...): inputs and output get their own Q/DQ and onnxruntime
 *   fuses them into QLinearAdd/QLinearMul/QLinearConcat/QLinearGlobalAveragePool.
 * Both only apply when an input is already quantized by a neighbour, so a float island stays float instead of
 * paying for Q/DQ on its own.
 */
import { readFloatTensor } from "../../onnx-helpers";
import type { TNodeProto } from "../../../../onnx/onnx-proto";
import type { THardSwishSpec, TQdqHandler, TQdqPlanContext } from "../qdq-types";

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

/**
 * Add/Mul: like ARITHMETIC_HANDLER, and a float scalar constant operand (e.g. the learnable scale and shift of
 * PP-LCNetV3's affine blocks after every activation) becomes a uint8 constant behind a DequantizeLinear, so the op
 * fuses into QLinearAdd/QLinearMul. Only scalars: one uint8 level represents them exactly (scale |c|/255), whereas a
 * per-tensor uint8 copy of a bias vector would lose precision.
 */
export const BINARY_ARITHMETIC_HANDLER: TQdqHandler = {
  plan(node, ctx) {
    const inputs = node.input.filter((i) => i);
    if (inputs.length !== 2) return;
    const constants = inputs.filter((i) => ctx.isFloatWeight(i));
    if (constants.some((c) => ctx.index.initializers.get(c)!.dims.reduce((a, b) => a * Number(b), 1) !== 1)) return;
    const activations = inputs.filter((i) => !ctx.isFloatWeight(i));
    if (constants.length === 0) return ARITHMETIC_HANDLER.plan(node, ctx);
    if (activations.length !== 1 || !ctx.isQuantizableActivation(activations[0]) || !ctx.plan.activations.has(activations[0])) return;
    const out = node.output[0];
    if (!out || !ctx.isQuantizableActivation(out)) return;
    ctx.plan.constants.set(node, constants);
    ctx.quantizeOutput(node);
  },
};

/** The scalar value of a float initializer operand of a two-input node reading `input`, if that is what it is. */
function readScalarOperand(node: TNodeProto, input: string, ctx: TQdqPlanContext): number | undefined {
  if (node.input.length !== 2) return undefined;
  const other = node.input[node.input[0] === input ? 1 : 0];
  if (!other || other === input || !ctx.isFloatWeight(other)) return undefined;
  const t = ctx.index.initializers.get(other)!;
  if (t.dims.reduce((a, b) => a * b, 1) !== 1) return undefined;
  const v = readFloatTensor(t)[0];
  return Number.isFinite(v) ? v : undefined;
}

/** The sole selected consumer of `name` when it has this op type (and `name` is no graph output). */
function findSoleConsumer(name: string, opType: string, ctx: TQdqPlanContext): TNodeProto | undefined {
  const users = ctx.index.consumers.get(name) ?? [];
  return users.length === 1 && !ctx.index.graphOutputs.has(name) && users[0].opType === opType && ctx.isSelected(users[0]) ? users[0] : undefined;
}

/**
 * HardSwish between quantized tensors: planned here, rewritten by applyQdq (see TQdqPlan.hardSwish). A sole
 * following Mul by a positive scalar (the scale of PP-LCNetV3's learnable affine block) is absorbed into the
 * rewrite. The block's shift stays a QLinearAdd: folding it into the output zero point rounds it onto the output
 * grid, and that bias cost PP-OCRv4 det 0.003 of held-out cosine (0.9924 → 0.9893).
 */
export const HARD_SWISH_HANDLER: TQdqHandler = {
  plan(node, ctx) {
    const x = node.input[0];
    const y = node.output[0];
    if (!x || !y || !ctx.plan.activations.has(x)) return;
    const spec: THardSwishSpec = {};
    let last = node;
    const mul = findSoleConsumer(y, "Mul", ctx);
    const factor = mul ? readScalarOperand(mul, y, ctx) : undefined;
    if (mul && factor !== undefined && factor > 0) {
      spec.scaledBy = { mul, factor };
      last = mul;
    }
    // What is absorbed is never materialized; the chain's last output must be quantizable.
    if (!ctx.isQuantizableActivation(last.output[0])) return;
    ctx.plan.hardSwish.set(node, spec);
    ctx.quantizeOutput(last);
  },
};
