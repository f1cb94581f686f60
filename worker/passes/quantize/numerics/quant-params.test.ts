import { describe, expect, it } from "vitest";
import {
  computeScaleZeroPoint,
  computeWeightQuantParams,
  dequantizeTensor,
  quantizeTensor,
  quantizeValue,
  roundHalfToEven,
} from "./quant-params";
import { adjustWeightScalesForBias, quantizeBias } from "./bias";

describe("roundHalfToEven", () => {
  it("rounds ties to the even neighbour like QuantizeLinear", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6].map(roundHalfToEven)).toEqual([0, 2, 2, 0, -2, -2, 2, 3, -3]);
  });
});

describe("computeScaleZeroPoint", () => {
  it("asymmetric uint8 maps [rmin, rmax] onto 0..255 with 0 exactly representable", () => {
    const { scale, zeroPoint } = computeScaleZeroPoint(-1, 3, "uint8", false);
    expect(scale).toBeCloseTo(4 / 255, 7);
    expect(zeroPoint).toBe(64);
    expect(quantizeValue(0, scale, zeroPoint, "uint8")).toBe(64);
    expect(quantizeValue(3, scale, zeroPoint, "uint8")).toBe(255);
    expect(quantizeValue(-1, scale, zeroPoint, "uint8")).toBe(0);
  });
  it("widens a positive-only range to include 0 (ReLU outputs get zero point 0)", () => {
    expect(computeScaleZeroPoint(0.5, 2, "uint8", false)).toEqual({ scale: Math.fround(2 / 255), zeroPoint: 0 });
  });
  it("symmetric int8 uses [-127, 127] with zero point 0", () => {
    const p = computeScaleZeroPoint(-0.3, 1.27, "int8", true);
    expect(p.zeroPoint).toBe(0);
    expect(p.scale).toBeCloseTo(0.01, 7);
    expect(quantizeValue(-1.27, p.scale, 0, "int8")).toBe(-127);
  });
  it("symmetric uint8 centres at 128", () => {
    expect(computeScaleZeroPoint(-1, 1, "uint8", true).zeroPoint).toBe(128);
  });
  it("a constant-zero tensor gets scale 1 instead of dividing by zero", () => {
    expect(computeScaleZeroPoint(0, 0, "int8", true)).toEqual({ scale: 1, zeroPoint: 0 });
    expect(computeScaleZeroPoint(0, 0, "uint8", false)).toEqual({ scale: 1, zeroPoint: 0 });
  });
  it("refuses non-finite ranges", () => {
    expect(() => computeScaleZeroPoint(-Infinity, 1, "uint8", false)).toThrow(/non-finite/);
  });
});

describe("quantizeTensor", () => {
  it("saturates out-of-range values", () => {
    const q = quantizeTensor(Float32Array.of(-100, 100), [2], { type: "int8", scale: Float32Array.of(0.1), zeroPoint: Int32Array.of(0) });
    expect(Array.from(q)).toEqual([-128, 127]);
  });
  it("per-channel on axis 0 and axis 1 uses each channel's own scale", () => {
    // [2, 3]: rows differ by 100x in magnitude.
    const w = Float32Array.of(1, -2, 0.5, 100, -200, 50);
    const p0 = computeWeightQuantParams(w, [2, 3], { type: "int8", symmetric: true, axis: 0 });
    expect(Array.from(p0.scale)).toEqual([Math.fround(2 / 127), Math.fround(200 / 127)]);
    const p1 = computeWeightQuantParams(w, [2, 3], { type: "int8", symmetric: true, axis: 1 });
    expect(Array.from(p1.scale)).toEqual([Math.fround(100 / 127), Math.fround(200 / 127), Math.fround(50 / 127)]);
    for (const p of [p0, p1]) {
      const back = dequantizeTensor(quantizeTensor(w, [2, 3], p), [2, 3], p);
      for (let i = 0; i < w.length; i++) {
        const c = p.axis === 0 ? Math.floor(i / 3) : i % 3;
        expect(Math.abs(back[i] - w[i])).toBeLessThanOrEqual(p.scale[c] / 2 + 1e-6);
      }
    }
  });
  it("per-channel on a middle axis of a 4-D tensor", () => {
    const dims = [2, 3, 2, 2];
    const w = new Float32Array(24);
    for (let i = 0; i < 24; i++) w[i] = (Math.floor(i / 4) % 3 + 1) * (i % 2 ? -1 : 1) * (1 + (i % 4));
    const p = computeWeightQuantParams(w, dims, { type: "uint8", symmetric: false, axis: 1 });
    expect(p.scale.length).toBe(3);
    // Channel c spans [-(c+1)*4, (c+1)*3].
    expect(p.scale[2]).toBeCloseTo((3 * 4 + 3 * 3) / 255, 6);
    const back = dequantizeTensor(quantizeTensor(w, dims, p), dims, p);
    let maxErr = 0;
    for (let i = 0; i < 24; i++) maxErr = Math.max(maxErr, Math.abs(back[i] - w[i]));
    expect(maxErr).toBeLessThan(p.scale[2]);
  });
});

describe("bias quantization", () => {
  it("uses scale input_scale × weight_scale and rounds to int32", () => {
    const { values, scale } = quantizeBias(Float32Array.of(0.5, -0.25), 0.02, Float32Array.of(0.01, 0.05));
    expect(Array.from(scale)).toEqual([Math.fround(0.02 * 0.01), Math.fround(0.02 * 0.05)]);
    expect(Array.from(values)).toEqual([2500, -250]);
  });
  it("raises a near-zero channel's weight scale so the bias does not overflow int32", () => {
    const bias = Float32Array.of(1000, 0.1);
    const ws = Float32Array.of(1e-12, 0.01);
    const adjusted = adjustWeightScalesForBias(bias, 0.05, ws);
    expect(adjusted[1]).toBe(ws[1]);
    expect(adjusted[0]).toBeGreaterThan(ws[0]);
    const { values } = quantizeBias(bias, 0.05, adjusted);
    expect(Math.abs(values[0])).toBeLessThan(2 ** 31 - 1);
    // Dequantized bias is still the original within its quantization step.
    expect(Math.abs(values[0] * Math.fround(0.05 * adjusted[0]) - 1000)).toBeLessThan(1e-3);
  });
});
