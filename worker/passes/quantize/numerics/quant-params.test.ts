import { describe, expect, it } from "vitest";
import {
  computeScaleZeroPoint,
  computeWeightQuantParams,
  dequantizeTensor,
  quantizeTensor,
  quantizeTensorInto,
  quantizeValue,
  QUANT_RANGES,
  type TQuantType,
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

/** Floor-and-compare round half to even: the straightforward definition the fast paths must equal. */
function referenceRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function referenceQuantize(x: number, s: number, z: number, type: TQuantType): number {
  const { qmin, qmax } = QUANT_RANGES[type];
  const q = referenceRound(Math.fround(x / s)) + z;
  return Number.isNaN(q) ? z : Math.min(qmax, Math.max(qmin, q));
}

describe("fast rounding and quantization equal the reference definition", () => {
  it("roundHalfToEven on ties, near-ties, large magnitudes and specials", () => {
    const xs = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, 2 ** 51 - 0.5, -(2 ** 51) + 0.5, 2 ** 51 + 1, 2 ** 52 + 1, -(2 ** 53), 1e300, -1e300, Infinity, -Infinity];
    for (let i = 0; i < 2000; i++) xs.push((i - 1000) / 4, (i - 1000) * 1.37e-3, (i - 1000) * 12345.678);
    expect(xs.map(roundHalfToEven)).toEqual(xs.map(referenceRound));
    expect(Number.isNaN(roundHalfToEven(NaN))).toBe(true);
  });

  it("quantizeTensorInto per tensor, per channel (inner axis and last axis), every type and zero point", () => {
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    const dims = [3, 4, 5];
    const n = 60;
    for (const type of ["int8", "uint8", "int4", "uint4"] as const) {
      const { qmin, qmax } = QUANT_RANGES[type];
      for (const axis of [undefined, 0, 2]) {
        const channels = axis === undefined ? 1 : dims[axis];
        const scale = Float32Array.from({ length: channels }, () => Math.fround(0.01 + Math.abs(rand()) * 0.05));
        const zeroPoint = Int32Array.from({ length: channels }, (_, c) => (c % 2 === 0 ? Math.round((qmin + qmax) / 2) : qmin + 1));
        const data = new Float32Array(n);
        const channelOf = (i: number) => (axis === undefined ? 0 : axis === 0 ? Math.floor(i / 20) : i % 5);
        for (let i = 0; i < n; i++) {
          const s = scale[channelOf(i)];
          // Exact ties (k + 0.5)·s where float32 allows, saturating values, NaN and infinities among ordinary ones.
          data[i] = i % 7 === 0 ? Math.fround((Math.round(rand() * 10) + 0.5) * s) : i % 11 === 0 ? rand() * 1e30 : rand() * 3;
        }
        data[1] = NaN;
        data[2] = Infinity;
        data[3] = -Infinity;
        const params = { type, scale, zeroPoint, axis };
        const expected = Array.from(data, (x, i) => referenceQuantize(x, scale[channelOf(i)], zeroPoint[channelOf(i)], type));
        expect(Array.from(quantizeTensorInto(data, dims, params, new Int32Array(n)))).toEqual(expected);
        expect(Array.from(quantizeTensor(data, dims, params))).toEqual(expected);
        if (type === "int8") expect(Array.from(quantizeTensorInto(data, dims, params, new Int8Array(n)))).toEqual(expected);
        if (type === "uint8") expect(Array.from(quantizeTensorInto(data, dims, params, new Uint8Array(n)))).toEqual(expected);
      }
    }
    expect(() => quantizeTensorInto(new Float32Array(4), [4], { type: "int8", scale: Float32Array.of(1), zeroPoint: Int32Array.of(0) }, new Int8Array(3))).toThrow(/holds 3/);
  });

  it("quantizeTensorInto, symmetric last-axis channels (the MatMul weight path without zero points): same codes as the reference", () => {
    let seed = 11;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    const [K, N] = [7, 6];
    for (const type of ["int8", "int4"] as const) {
      const scale = Float32Array.from({ length: N }, () => Math.fround(0.005 + Math.abs(rand()) * 0.02));
      const data = Float32Array.from({ length: K * N }, () => Math.fround(rand() * 3));
      // Ties, saturation and non-finite values.
      data[0] = scale[0] * 2.5;
      data[1] = scale[1] * -3.5;
      data[2] = 1e9;
      data[3] = NaN;
      data[4] = -Infinity;
      const params = { type, scale, zeroPoint: new Int32Array(N), axis: 1 };
      const expected = Array.from(data, (x, i) => referenceQuantize(x, scale[i % N], 0, type));
      expect(Array.from(quantizeTensorInto(data, [K, N], params, new Int32Array(K * N)))).toEqual(expected);
      if (type === "int8") expect(Array.from(quantizeTensorInto(data, [K, N], params, new Int8Array(K * N)))).toEqual(expected);
    }
  });
});
