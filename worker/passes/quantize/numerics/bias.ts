/**
 * int32 bias quantization for QDQ Conv/Gemm/MatMul. ORT only fuses DQ(bias) into QLinearConv when the bias scale is
 * exactly input_scale × weight_scale (computed in float32), otherwise the Conv silently stays float.
 */
import { roundHalfToEven } from "./quant-params";

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/**
 * Headroom kept below int32 max when a channel's scale has to be raised: later accumulation in the kernel adds
 * the products to the bias, so a bias right at the limit would still overflow.
 */
const BIAS_HEADROOM = 0.5;

/**
 * Raises per-channel weight scales where the int32 bias would overflow (a near-zero weight channel with a large
 * bias gives a tiny bias scale). Returns a new array; unchanged channels keep their exact scale.
 * The caller must quantize the weights with the returned scales, so weight and bias stay consistent.
 */
export function adjustWeightScalesForBias(
  bias: Float32Array,
  inputScale: number,
  weightScale: Float32Array,
): Float32Array {
  const out = Float32Array.from(weightScale);
  for (let c = 0; c < bias.length; c++) {
    const ws = weightScale.length === 1 ? out[0] : weightScale[c];
    const biasScale = Math.fround(inputScale * ws);
    const needed = Math.abs(bias[c]) / (INT32_MAX * BIAS_HEADROOM);
    if (biasScale < needed || biasScale === 0) {
      // The weight scale grows only as much as the bias needs; weights of such a channel are ~0 anyway.
      const raised = Math.fround(Math.max(needed, Number.MIN_VALUE) / inputScale) * 1.0000001;
      const idx = weightScale.length === 1 ? 0 : c;
      out[idx] = Math.fround(Math.max(raised, out[idx]));
    }
  }
  return out;
}

/**
 * Quantizes a bias to int32 with scale input_scale × weight_scale[c] (float32 product, as ORT computes it).
 * Returns the int32 values and the bias scales to store next to them.
 */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScale: Float32Array,
): { values: Int32Array; scale: Float32Array } {
  const values = new Int32Array(bias.length);
  const scale = new Float32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const ws = weightScale.length === 1 ? weightScale[0] : weightScale[c];
    const s = Math.fround(inputScale * ws);
    scale[c] = s;
    const q = s === 0 ? 0 : roundHalfToEven(Math.fround(bias[c] / s));
    values[c] = q > INT32_MAX ? INT32_MAX : q < INT32_MIN ? INT32_MIN : q;
  }
  return { values, scale };
}
