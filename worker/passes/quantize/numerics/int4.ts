/**
 * 4-bit packing and the com.microsoft MatMulNBits weight layout.
 *
 * ONNX int4/uint4 tensors pack two elements per byte, the first element in the low nibble. MatMulNBits stores the
 * transposed weight B^T as [N, blocksPerCol, blockSize / 2] bytes (same nibble order, blocks along K per output
 * column), float scales [N * blocksPerCol], and optional uint8 zero points packed two per byte per column
 * [N * ceil(blocksPerCol / 2)]; without zero points the kernel uses 8.
 */
import { roundHalfToEven } from "./quant-params";

/** Packs 4-bit values (already in range, signed or unsigned) two per byte, low nibble first. */
export function packNibbles(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const nib = values[i] & 0x0f;
    out[i >> 1] |= i & 1 ? nib << 4 : nib;
  }
  return out;
}

/** Unpacks `count` 4-bit values; `signed` sign-extends them (int4) instead of reading 0..15 (uint4). */
export function unpackNibbles(bytes: Uint8Array, count: number, signed: boolean): Int8Array {
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const nib = i & 1 ? bytes[i >> 1] >> 4 : bytes[i >> 1] & 0x0f;
    out[i] = signed && nib >= 8 ? nib - 16 : nib;
  }
  return out;
}

/** Block sizes MatMulNBits supports on CPU for 4 bits (powers of two, at least 16). */
export const MATMUL_NBITS_BLOCK_SIZES = [16, 32, 64, 128, 256] as const;

/** A weight in MatMulNBits form. */
export type TMatMulNBitsWeight = {
  /** Input features (rows of the original [K, N] weight). */
  K: number;
  /** Output features. */
  N: number;
  blockSize: number;
  blocksPerCol: number;
  /** uint8 [N, blocksPerCol, blockSize / 2]. */
  packed: Uint8Array;
  /** float32 [N * blocksPerCol]. */
  scales: Float32Array;
  /** uint8 [N * ceil(blocksPerCol / 2)], absent for symmetric quantization (implicit 8). */
  zeroPoints?: Uint8Array;
};

/**
 * Scale and zero point of one block on the uint4 grid.
 * Symmetric follows MLAS: the value with the largest magnitude maps to -8 exactly (scale = v / -8, may be negative),
 * which uses all 16 levels instead of 15. Asymmetric maps [min(x,0), max(x,0)] onto 0..15.
 */
export function computeBlockParams(values: ArrayLike<number>, start: number, end: number, symmetric: boolean): { scale: number; zeroPoint: number } {
  let mn = 0;
  let mx = 0;
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  return computeBlockParamsFromRange(mn, mx, symmetric);
}

/** One value on the uint4 grid. */
export function quantizeUint4(x: number, scale: number, zeroPoint: number): number {
  const q = roundHalfToEven(Math.fround(x / scale)) + zeroPoint;
  return q < 0 ? 0 : q > 15 ? 15 : q;
}

/**
 * Builds the MatMulNBits layout from already-quantized uint4 codes given per (column n, row k) as
 * `codes[n * K + k]`, with per-(n, block) scales and zero points. Rows beyond K in the last block are padded with
 * the block's zero point so they dequantize to 0.
 */
export function packMatMulNBits(
  codes: Uint8Array,
  scales: Float32Array,
  zeroPoints: Uint8Array | undefined,
  K: number,
  N: number,
  blockSize: number,
): TMatMulNBitsWeight {
  const blocksPerCol = Math.ceil(K / blockSize);
  const blobSize = blockSize / 2;
  const packed = new Uint8Array(N * blocksPerCol * blobSize);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocksPerCol; b++) {
      const zp = zeroPoints ? zeroPoints[n * blocksPerCol + b] : 8;
      const base = (n * blocksPerCol + b) * blobSize;
      for (let i = 0; i < blockSize; i++) {
        const k = b * blockSize + i;
        const code = k < K ? codes[n * K + k] : zp;
        packed[base + (i >> 1)] |= i & 1 ? code << 4 : code;
      }
    }
  }
  return { K, N, blockSize, blocksPerCol, packed, scales, zeroPoints: zeroPoints ? packZeroPoints(zeroPoints, N, blocksPerCol) : undefined };
}

/**
 * Round-to-nearest 4-bit block quantization of a MatMul weight W [K, N] (row-major, as stored in ONNX) into the
 * MatMulNBits layout. Same results as computeBlockParams + quantizeUint4 + packMatMulNBits per column, but it reads W
 * in memory order one block of rows at a time (all N columns together) and packs the nibbles directly: gathering a
 * column walks the whole matrix with stride N, and the intermediate codes would be another K·N bytes.
 */
export function quantizeMatMulNBitsRtn(weight: Float32Array, K: number, N: number, blockSize: number, symmetric: boolean): TMatMulNBitsWeight {
  if (!MATMUL_NBITS_BLOCK_SIZES.includes(blockSize as (typeof MATMUL_NBITS_BLOCK_SIZES)[number])) {
    throw new Error(`block size ${blockSize} is not supported by MatMulNBits (use 16, 32, 64, 128 or 256)`);
  }
  if (weight.length !== K * N) throw new Error(`weight holds ${weight.length} values, not K·N = ${K * N}`);
  const blocksPerCol = Math.ceil(K / blockSize);
  const blobSize = blockSize / 2;
  const colStride = blocksPerCol * blobSize;
  const packed = new Uint8Array(N * colStride);
  const scales = new Float32Array(N * blocksPerCol);
  const zps = symmetric ? undefined : new Uint8Array(N * blocksPerCol);
  // Tiles of TILE columns × one block of rows (TILE·blockSize floats, a few KB): the range pass reads the tile's
  // rows in memory order, the quantize pass then walks each column of the tile from L1 and writes its nibbles as
  // whole bytes, in order, into that column's blob.
  const TILE = 64;
  const mn = new Float64Array(TILE);
  const mx = new Float64Array(TILE);
  for (let b = 0; b < blocksPerCol; b++) {
    const start = b * blockSize;
    const end = Math.min(K, start + blockSize);
    for (let n0 = 0; n0 < N; n0 += TILE) {
      const width = Math.min(TILE, N - n0);
      mn.fill(0);
      mx.fill(0);
      for (let k = start; k < end; k++) {
        const row = k * N + n0;
        for (let j = 0; j < width; j++) {
          const v = weight[row + j];
          if (v < mn[j]) mn[j] = v;
          if (v > mx[j]) mx[j] = v;
        }
      }
      for (let j = 0; j < width; j++) {
        const n = n0 + j;
        const p = computeBlockParamsFromRange(mn[j], mx[j], symmetric);
        scales[n * blocksPerCol + b] = p.scale;
        if (zps) zps[n * blocksPerCol + b] = p.zeroPoint;
        const s = p.scale;
        const z = p.zeroPoint;
        const out = n * colStride + b * blobSize;
        for (let i = 0; i < blockSize; i += 2) {
          const k = start + i;
          // Rows past K in the last block hold the zero point, so they dequantize to 0.
          const lo = k < K ? quantizeCode(weight[k * N + n], s, z) : z;
          const hi = k + 1 < K ? quantizeCode(weight[(k + 1) * N + n], s, z) : z;
          packed[out + (i >> 1)] = lo | (hi << 4);
        }
      }
    }
  }
  return { K, N, blockSize, blocksPerCol, packed, scales, zeroPoints: zps ? packZeroPoints(zps, N, blocksPerCol) : undefined };
}

/**
 * quantizeUint4 inlined for the hot loop: round half to even through the 1.5·2^52 addition (see roundHalfToEven;
 * beyond 2^51 it saturates anyway), then clamp; NaN gives 0, like the Uint8Array store of quantizeUint4's NaN.
 */
function quantizeCode(x: number, scale: number, zeroPoint: number): number {
  const q = Math.fround(x / scale) + ROUND_MAGIC - ROUND_MAGIC + zeroPoint;
  return q >= 0 ? (q > 15 ? 15 : q) : 0;
}

/** 1.5·2^52 (see roundHalfToEven in quant-params.ts). */
const ROUND_MAGIC = 6755399441055744;

/** computeBlockParams from a block's min (≤ 0) and max (≥ 0). */
function computeBlockParamsFromRange(mn: number, mx: number, symmetric: boolean): { scale: number; zeroPoint: number } {
  if (symmetric) {
    const m = Math.abs(mn) > Math.abs(mx) ? mn : mx;
    const scale = Math.fround(m / -8);
    return { scale: scale === 0 ? 1 : scale, zeroPoint: 8 };
  }
  const scale = Math.fround((mx - mn) / 15);
  if (scale === 0) return { scale: 1, zeroPoint: 8 };
  return { scale, zeroPoint: Math.min(15, Math.max(0, roundHalfToEven(-mn / scale))) };
}

/** Zero points [N, blocksPerCol] packed two per byte per column [N, ceil(blocksPerCol / 2)], low nibble first. */
function packZeroPoints(zeroPoints: Uint8Array, N: number, blocksPerCol: number): Uint8Array {
  const perCol = Math.ceil(blocksPerCol / 2);
  const out = new Uint8Array(N * perCol);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocksPerCol; b++) {
      out[n * perCol + (b >> 1)] |= b & 1 ? zeroPoints[n * blocksPerCol + b] << 4 : zeroPoints[n * blocksPerCol + b];
    }
  }
  return out;
}

/** Reconstructs W [K, N] from the MatMulNBits layout (what the kernel computes with); for tests and error metrics. */
export function dequantizeMatMulNBits(w: TMatMulNBitsWeight): Float32Array {
  const { K, N, blockSize, blocksPerCol } = w;
  const out = new Float32Array(K * N);
  const blobSize = blockSize / 2;
  const perCol = Math.ceil(blocksPerCol / 2);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocksPerCol; b++) {
      const scale = w.scales[n * blocksPerCol + b];
      let zp = 8;
      if (w.zeroPoints) {
        const byte = w.zeroPoints[n * perCol + (b >> 1)];
        zp = b & 1 ? byte >> 4 : byte & 0x0f;
      }
      const base = (n * blocksPerCol + b) * blobSize;
      for (let i = 0; i < blockSize; i++) {
        const k = b * blockSize + i;
        if (k >= K) break;
        const byte = w.packed[base + (i >> 1)];
        const code = i & 1 ? byte >> 4 : byte & 0x0f;
        out[k * N + n] = (code - zp) * scale;
      }
    }
  }
  return out;
}
