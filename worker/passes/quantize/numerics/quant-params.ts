/**
 * Scale / zero-point computation and QuantizeLinear-exact rounding, for per-tensor and per-channel (any axis)
 * quantization to uint8/int8/uint4/int4. Pure numerics: no ONNX types here, so these are testable on plain arrays.
 */

/** Integer types a tensor can be quantized to. */
export type TQuantType = "uint8" | "int8" | "uint4" | "int4";

/** Representable range of each quantized type (ONNX QuantizeLinear saturates to these). */
export const QUANT_RANGES: Readonly<Record<TQuantType, { qmin: number; qmax: number }>> = {
  uint8: { qmin: 0, qmax: 255 },
  int8: { qmin: -128, qmax: 127 },
  uint4: { qmin: 0, qmax: 15 },
  int4: { qmin: -8, qmax: 7 },
};

/** Quantization parameters of one tensor: one entry per channel (length 1 when per-tensor). */
export type TQuantParams = {
  type: TQuantType;
  scale: Float32Array;
  zeroPoint: Int32Array;
  /** Channel axis for per-channel parameters; undefined for per-tensor. */
  axis?: number;
};

/** 1.5·2^52: adding it to |x| < 2^51 puts the units digit at the last mantissa bit. */
const ROUND_MAGIC = 6755399441055744;
const ROUND_LIMIT = 2251799813685248;

/**
 * Rounds half to even, like `std::nearbyint` in the default rounding mode, which is what ONNX QuantizeLinear uses
 * (2.5 -> 2, 3.5 -> 4, -2.5 -> -2). Math.round would bias every tie upwards.
 */
export function roundHalfToEven(x: number): number {
  // Adding 1.5·2^52 leaves no fraction bits, so the float64 addition itself rounds half to even (JS arithmetic is
  // IEEE round-to-nearest-even); exact for |x| < 2^51. About 3× faster than floor-and-compare in the weight loops.
  if (x > -ROUND_LIMIT && x < ROUND_LIMIT) return x + ROUND_MAGIC - ROUND_MAGIC;
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Clamps to [lo, hi]. */
function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * The symmetric range used for a type: signed types drop their most negative value (int8 -> [-127, 127]) so
 * that +r and -r map to opposite integers and the zero point is exactly 0 (what ORT and TensorRT do for weights).
 */
export function symmetricRange(type: TQuantType): { qmin: number; qmax: number } {
  const { qmin, qmax } = QUANT_RANGES[type];
  if (qmin < 0) return { qmin: -qmax, qmax };
  return { qmin, qmax };
}

/**
 * Scale and zero point for the real range [rmin, rmax], like onnxruntime's `compute_scale_zp`.
 * The range is widened to include 0 so that zero (padding, ReLU outputs) is exactly representable.
 * Symmetric: zero point is 0 for signed types and the mid value (128 / 8) for unsigned ones.
 * A degenerate range (all zeros) gets scale 1 rather than 0, which would divide by zero at run time.
 */
export function computeScaleZeroPoint(
  rmin: number,
  rmax: number,
  type: TQuantType,
  symmetric: boolean,
): { scale: number; zeroPoint: number } {
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax)) {
    throw new Error(`cannot quantize a non-finite range [${rmin}, ${rmax}]`);
  }
  let lo = Math.min(rmin, 0);
  let hi = Math.max(rmax, 0);
  if (symmetric) {
    const { qmin, qmax } = QUANT_RANGES[type];
    const absMax = Math.max(Math.abs(lo), Math.abs(hi));
    if (qmin < 0) {
      const r = symmetricRange(type);
      const scale = Math.fround(absMax / r.qmax);
      return { scale: scale === 0 ? 1 : scale, zeroPoint: 0 };
    }
    // Unsigned symmetric: centre at the midpoint, (qmax - qmin) / 2 steps either side.
    const zeroPoint = Math.round((qmin + qmax + 1) / 2);
    const scale = Math.fround((2 * absMax) / (qmax - qmin));
    return { scale: scale === 0 ? 1 : scale, zeroPoint };
  }
  const { qmin, qmax } = QUANT_RANGES[type];
  let scale = Math.fround((hi - lo) / (qmax - qmin));
  if (scale === 0 || !Number.isFinite(scale)) {
    scale = 1;
    lo = 0;
    hi = 0;
  }
  const zeroPoint = clamp(roundHalfToEven(qmin - lo / scale), qmin, qmax);
  return { scale, zeroPoint };
}

/** Shape helper: how a flat index maps to a channel along `axis` of `dims`. */
export function describeAxis(dims: readonly number[], axis: number): { channels: number; inner: number; outer: number } {
  const a = axis < 0 ? axis + dims.length : axis;
  if (a < 0 || a >= dims.length) throw new Error(`axis ${axis} out of range for rank ${dims.length}`);
  let inner = 1;
  for (let i = a + 1; i < dims.length; i++) inner *= dims[i];
  let outer = 1;
  for (let i = 0; i < a; i++) outer *= dims[i];
  return { channels: dims[a], inner, outer };
}

/** Per-channel min and max along `axis` (per-tensor when axis is undefined). */
export function computeChannelRanges(
  data: Float32Array,
  dims: readonly number[],
  axis: number | undefined,
): { min: Float64Array; max: Float64Array } {
  if (axis === undefined) {
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    if (data.length === 0) mn = mx = 0;
    return { min: Float64Array.of(mn), max: Float64Array.of(mx) };
  }
  const { channels, inner, outer } = describeAxis(dims, axis);
  const min = new Float64Array(channels).fill(Infinity);
  const max = new Float64Array(channels).fill(-Infinity);
  if (inner === 1) {
    // Last-axis channels (MatMul weights [K, N] per output column): scan rows in memory order.
    for (let base = 0; base < outer * channels; base += channels) {
      for (let c = 0; c < channels; c++) {
        const v = data[base + c];
        if (v < min[c]) min[c] = v;
        if (v > max[c]) max[c] = v;
      }
    }
  } else {
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < channels; c++) {
        const base = (o * channels + c) * inner;
        let mn = min[c];
        let mx = max[c];
        for (let i = 0; i < inner; i++) {
          const v = data[base + i];
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
        min[c] = mn;
        max[c] = mx;
      }
    }
  }
  for (let c = 0; c < channels; c++) {
    if (min[c] === Infinity) min[c] = max[c] = 0;
  }
  return { min, max };
}

/**
 * Quantization parameters for a weight tensor from its own values: per-tensor or per-channel along `axis`.
 */
export function computeWeightQuantParams(
  data: Float32Array,
  dims: readonly number[],
  opts: { type: TQuantType; symmetric: boolean; axis?: number },
): TQuantParams {
  const { min, max } = computeChannelRanges(data, dims, opts.axis);
  const n = min.length;
  const scale = new Float32Array(n);
  const zeroPoint = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    const p = computeScaleZeroPoint(min[c], max[c], opts.type, opts.symmetric);
    scale[c] = p.scale;
    zeroPoint[c] = p.zeroPoint;
  }
  return { type: opts.type, scale, zeroPoint, axis: opts.axis };
}

/** One value through QuantizeLinear: saturate(round_half_even(x / scale) + zeroPoint). */
export function quantizeValue(x: number, scale: number, zeroPoint: number, type: TQuantType): number {
  const { qmin, qmax } = QUANT_RANGES[type];
  const q = roundHalfToEven(Math.fround(x / scale)) + zeroPoint;
  return Number.isNaN(q) ? zeroPoint : clamp(q, qmin, qmax);
}

/**
 * Quantizes a whole tensor with `params` (per-tensor or per-channel). Values come back as plain integers in an
 * Int32Array; callers narrow them to the storage type (Int8Array, Uint8Array, packed 4-bit).
 */
export function quantizeTensor(data: Float32Array, dims: readonly number[], params: TQuantParams): Int32Array {
  return quantizeTensorInto(data, dims, params, new Int32Array(data.length));
}

/**
 * quantizeTensor writing into `out` (an Int8Array for int8, a Uint8Array for uint8, or an Int32Array), so the
 * storage array is filled directly instead of through an Int32Array copy of every weight. Returns `out`.
 */
export function quantizeTensorInto<T extends Int8Array | Uint8Array | Int32Array>(data: Float32Array, dims: readonly number[], params: TQuantParams, out: T): T {
  if (out.length !== data.length) throw new Error(`output holds ${out.length} values, the tensor ${data.length}`);
  // The engine's hottest loop (every weight element), identical to quantizeValue: round half to even through the
  // 1.5·2^52 addition (see roundHalfToEven; a quotient beyond 2^51 saturates either way), then saturate, with NaN
  // (neither ≥ qmin nor < qmin) mapped to the zero point off the common path.
  const { qmin, qmax } = QUANT_RANGES[params.type];
  if (params.axis === undefined) {
    const s = params.scale[0];
    const z = params.zeroPoint[0];
    for (let i = 0; i < data.length; i++) {
      const q = Math.fround(data[i] / s) + ROUND_MAGIC - ROUND_MAGIC + z;
      out[i] = q >= qmin ? (q <= qmax ? q : qmax) : q < qmin ? qmin : z;
    }
    return out;
  }
  const { channels, inner, outer } = describeAxis(dims, params.axis);
  if (params.scale.length !== channels) {
    throw new Error(`expected ${channels} scales along axis ${params.axis}, got ${params.scale.length}`);
  }
  const scale = params.scale;
  const zeroPoint = params.zeroPoint;
  if (inner === 1 && zeroPoint.every((z) => z === 0)) {
    // Symmetric last-axis channels (every int8 MatMul weight [K, N]): scales read as float64 once, no zero point
    // (about 20% faster; same arithmetic, so the same codes).
    const scale64 = Float64Array.from(scale);
    for (let base = 0; base < outer * channels; base += channels) {
      for (let c = 0; c < channels; c++) {
        const q = Math.fround(data[base + c] / scale64[c]) + ROUND_MAGIC - ROUND_MAGIC;
        out[base + c] = q >= qmin ? (q <= qmax ? q : qmax) : q < qmin ? qmin : 0;
      }
    }
    return out;
  }
  if (inner === 1) {
    // Last-axis channels (MatMul weights [K, N] per output column): one contiguous row per outer index.
    for (let base = 0; base < outer * channels; base += channels) {
      for (let c = 0; c < channels; c++) {
        const z = zeroPoint[c];
        const q = Math.fround(data[base + c] / scale[c]) + ROUND_MAGIC - ROUND_MAGIC + z;
        out[base + c] = q >= qmin ? (q <= qmax ? q : qmax) : q < qmin ? qmin : z;
      }
    }
    return out;
  }
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const s = scale[c];
      const z = zeroPoint[c];
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const q = Math.fround(data[base + i] / s) + ROUND_MAGIC - ROUND_MAGIC + z;
        out[base + i] = q >= qmin ? (q <= qmax ? q : qmax) : q < qmin ? qmin : z;
      }
    }
  }
  return out;
}

/** DequantizeLinear: (q - zeroPoint) * scale, per-tensor or per-channel. */
export function dequantizeTensor(q: ArrayLike<number>, dims: readonly number[], params: TQuantParams): Float32Array {
  const out = new Float32Array(q.length);
  if (params.axis === undefined) {
    for (let i = 0; i < q.length; i++) out[i] = (q[i] - params.zeroPoint[0]) * params.scale[0];
    return out;
  }
  const { channels, inner, outer } = describeAxis(dims, params.axis);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) out[base + i] = (q[base + i] - params.zeroPoint[c]) * params.scale[c];
    }
  }
  return out;
}
