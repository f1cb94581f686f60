import { describe, expect, it } from "vitest";
import { convertFloat32ArrayToFloat16, convertFloat32ArrayToFloat16Counting, float16BitsToFloat32, float32ToFloat16Bits } from "./half";

describe("float32 -> float16", () => {
  it("converts exact values and specials", () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(0)).toBe(0);
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(float32ToFloat16Bits(Infinity)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
  });
  it("rounds to nearest even, overflowing to Inf past 65520", () => {
    // 1 + 2^-11 is exactly halfway between 1 and 1 + 2^-10: ties to even (1).
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9 (even).
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
  });
  it("produces subnormals and underflows to signed zero", () => {
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // tie -> even (0)
    expect(float32ToFloat16Bits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 -> 2
    expect(float32ToFloat16Bits(-(2 ** -30))).toBe(0x8000);
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the smallest normal
  });
  it("round-trips every float16 bit pattern", () => {
    const mismatches: number[] = [];
    for (let b = 0; b < 0x10000; b++) {
      const v = float16BitsToFloat32(b);
      if (!Number.isNaN(v) && float32ToFloat16Bits(v) !== b) mismatches.push(b);
    }
    expect(mismatches).toEqual([]);
  });
});

describe("convertFloat32ArrayToFloat16", () => {
  it("matches the scalar conversion on every exponent, both signs, ties and specials", () => {
    const bits = new Uint32Array(20000);
    let seed = 12345;
    for (let i = 0; i < bits.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      // Every exponent (incl. 0 and 255), random mantissas, and exact float16 ties (low 13 bits = 0x1000).
      const exp = i % 256;
      const mant = i % 3 === 0 ? ((seed & 0x7fe000) | 0x1000) : seed & 0x7fffff;
      bits[i] = ((i & 1) << 31) | (exp << 23) | mant;
    }
    const values = new Float32Array(bits.buffer);
    const fast = convertFloat32ArrayToFloat16(values);
    const mismatches: number[] = [];
    for (let i = 0; i < values.length; i++) if (fast[i] !== float32ToFloat16Bits(values[i])) mismatches.push(i);
    expect(mismatches).toEqual([]);
    // A plain array goes through the scalar path: same bits.
    expect(Array.from(convertFloat32ArrayToFloat16(Array.from(values.subarray(0, 512))))).toEqual(Array.from(fast.subarray(0, 512)));
    // An offset view reads its own elements, not the buffer's start.
    expect(Array.from(convertFloat32ArrayToFloat16(values.subarray(7, 9)))).toEqual([fast[7], fast[8]]);
  });
});

describe("convertFloat32ArrayToFloat16Counting", () => {
  it("converts like convertFloat32ArrayToFloat16 and counts |v| > 65504 (infinities yes, NaN no)", () => {
    const values = Float32Array.of(1, -2.5, 65504, 65505, -65519, 65520, -1e9, Infinity, -Infinity, NaN, 1e-8, -0, 3.4e38);
    const { bits, outOfRange } = convertFloat32ArrayToFloat16Counting(values);
    expect(Array.from(bits)).toEqual(Array.from(convertFloat32ArrayToFloat16(values)));
    expect(outOfRange).toBe(values.filter((v) => v > 65504 || v < -65504).length);
    expect(outOfRange).toBe(7);
  });
});
