import { describe, expect, it } from "vitest";
import { computeBlockParams, dequantizeMatMulNBits, packMatMulNBits, packNibbles, quantizeMatMulNBitsRtn, quantizeUint4, unpackNibbles } from "./int4";

function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
  return out;
}

describe("nibble packing", () => {
  it("packs the first element in the low nibble and sign-extends int4", () => {
    const packed = packNibbles([1, -2, 7, -8, 3]);
    expect(Array.from(packed)).toEqual([0xe1, 0x87, 0x03]);
    expect(Array.from(unpackNibbles(packed, 5, true))).toEqual([1, -2, 7, -8, 3]);
    expect(Array.from(unpackNibbles(packNibbles([0, 15, 9]), 3, false))).toEqual([0, 15, 9]);
  });
});

describe("MatMulNBits layout", () => {
  it("has the [N, blocks, blockSize/2] shape, per-column packed zero points, and pads K", () => {
    const K = 80;
    const N = 3;
    const w = randn(K * N, 1);
    const q = quantizeMatMulNBitsRtn(w, K, N, 32, false);
    expect(q.blocksPerCol).toBe(3);
    expect(q.packed.length).toBe(N * 3 * 16);
    expect(q.scales.length).toBe(N * 3);
    expect(q.zeroPoints!.length).toBe(N * 2);
    const back = dequantizeMatMulNBits(q);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const s = q.scales[n * 3 + Math.floor(k / 32)];
        expect(Math.abs(back[k * N + n] - w[k * N + n])).toBeLessThanOrEqual(Math.abs(s) / 2 + 1e-6);
      }
    }
  });
  it("symmetric: no zero points; the largest-magnitude value of a block is exact", () => {
    const w = Float32Array.from({ length: 32 }, (_, i) => (i === 5 ? -3 : Math.sin(i)));
    const q = quantizeMatMulNBitsRtn(w, 32, 1, 32, true);
    expect(q.zeroPoints).toBeUndefined();
    expect(dequantizeMatMulNBits(q)[5]).toBeCloseTo(-3, 6);
  });
  it("rejects unsupported block sizes", () => {
    expect(() => quantizeMatMulNBitsRtn(new Float32Array(48), 48, 1, 48, true)).toThrow(/block size 48/);
  });
});

/** The column-at-a-time definition (block params per column, codes, then packing): the row-major RTN must equal it. */
function referenceRtn(w: Float32Array, K: number, N: number, blockSize: number, symmetric: boolean) {
  const blocksPerCol = Math.ceil(K / blockSize);
  const codes = new Uint8Array(N * K);
  const scales = new Float32Array(N * blocksPerCol);
  const zps = symmetric ? undefined : new Uint8Array(N * blocksPerCol);
  const col = new Float32Array(K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) col[k] = w[k * N + n];
    for (let b = 0; b < blocksPerCol; b++) {
      const start = b * blockSize;
      const end = Math.min(K, start + blockSize);
      const p = computeBlockParams(col, start, end, symmetric);
      scales[n * blocksPerCol + b] = p.scale;
      if (zps) zps[n * blocksPerCol + b] = p.zeroPoint;
      for (let k = start; k < end; k++) codes[n * K + k] = quantizeUint4(col[k], p.scale, p.zeroPoint);
    }
  }
  return packMatMulNBits(codes, scales, zps, K, N, blockSize);
}

describe("row-major RTN", () => {
  it("equals the per-column definition bit for bit (padding, zero blocks, NaN, both symmetries)", () => {
    for (const [K, N, blockSize] of [[80, 3, 32], [64, 17, 16], [300, 5, 128]] as const) {
      const w = randn(K * N, K + N);
      w[5] = NaN;
      w.fill(0, N * 40, N * 48); // an all-zero stretch: zero blocks take scale 1
      w[7] = 1e30;
      for (const symmetric of [true, false]) {
        const fast = quantizeMatMulNBitsRtn(w, K, N, blockSize, symmetric);
        const ref = referenceRtn(w, K, N, blockSize, symmetric);
        expect(fast.blocksPerCol).toBe(ref.blocksPerCol);
        expect(Array.from(fast.scales)).toEqual(Array.from(ref.scales));
        expect(Array.from(fast.packed)).toEqual(Array.from(ref.packed));
        expect(fast.zeroPoints && Array.from(fast.zeroPoints)).toEqual(ref.zeroPoints && Array.from(ref.zeroPoints));
      }
    }
    expect(() => quantizeMatMulNBitsRtn(new Float32Array(10), 16, 1, 16, true)).toThrow(/K·N/);
  });
});
