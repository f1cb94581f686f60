/**
 * IEEE 754 binary16 conversion with round-to-nearest-even, subnormals, infinities and NaN preserved.
 * Float16Array is not in Node 20, so ONNX float16 tensors are handled as their uint16 bit patterns.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 value -> float16 bits. Values beyond the float16 range become ±Infinity, tiny ones subnormals or ±0. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  return float32BitsToFloat16Bits(u32[0]);
}

/** float16 bits -> float32 value (exact). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Converts a whole float32 array to float16 bit patterns. A Float32Array is read through a Uint32Array view of its
 * bits with the conversion inlined (no per-element scratch write and read-back): ~10× faster on weight tensors.
 */
export function convertFloat32ArrayToFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  if (values instanceof Float32Array) {
    // Int32 view: every element stays a small integer for the JIT (a Uint32Array hands out doubles above 2^31).
    const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < bits.length; i++) {
      const x = bits[i];
      const a = x & 0x7fffffff;
      // Results in the normal float16 range [2^-14, 65520): rebias the exponent and round the 13 dropped mantissa
      // bits to nearest even in one integer addition (+0xfff, +1 when the kept part is odd; a carry moves the
      // exponent up, as it should). Everything else (subnormals, overflow, Inf, NaN) takes the general path.
      out[i] = a >= 0x38800000 && a < 0x477ff000 ? ((x >>> 16) & 0x8000) | ((a - 0x37fff001 + ((a >>> 13) & 1)) >>> 13) : float32BitsToFloat16Bits(x);
    }
    return out;
  }
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

/**
 * convertFloat32ArrayToFloat16 for a Float32Array that also counts the values beyond the float16 range (|v| > 65504,
 * infinities included, NaN not): one pass over the weights instead of a range check and then a conversion.
 */
export function convertFloat32ArrayToFloat16Counting(values: Float32Array): { bits: Uint16Array; outOfRange: number } {
  const out = new Uint16Array(values.length);
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  let outOfRange = 0;
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const a = x & 0x7fffffff;
    if (a >= 0x38800000 && a < 0x477ff000) {
      // Same normal-range rounding as convertFloat32ArrayToFloat16; 65504 < |v| < 65520 still rounds to 65504.
      out[i] = ((x >>> 16) & 0x8000) | ((a - 0x37fff001 + ((a >>> 13) & 1)) >>> 13);
      if (a > 0x477fe000) outOfRange++;
    } else {
      out[i] = float32BitsToFloat16Bits(x);
      if (a >= 0x477ff000 && a <= 0x7f800000) outOfRange++;
    }
  }
  return { bits: out, outOfRange };
}

/**
 * float32 bit pattern -> float16 bits. NaN stays NaN (quiet bit set, some payload kept), values beyond the float16
 * range become ±Infinity, tiny ones subnormals or ±0, rounding to nearest even throughout.
 */
export function float32BitsToFloat16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  const e = exp - 112; // exp - 127 + 15
  if (e > 0 && e < 0x1f) {
    // Normal range (the common case): round the 13 dropped bits to nearest even; a carry may reach Inf correctly.
    const r = (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    return sign | (rest > 0x1000 || (rest === 0x1000 && r & 1) ? r + 1 : r);
  }
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e < -10) return sign;
  const m = mant | 0x800000;
  const shift = 14 - e;
  const half = 1 << (shift - 1);
  const rest = m & ((1 << shift) - 1);
  const r = m >>> shift;
  return sign | (rest > half || (rest === half && r & 1) ? r + 1 : r);
}

/** Converts float16 bit patterns back to float32. */
export function convertFloat16ArrayToFloat32(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToFloat32(bits[i]);
  return out;
}

/** Largest finite float16 value. */
export const FLOAT16_MAX = 65504;
