import { describe, expect, it } from "vitest";
import { createCalibrator } from "./calibrator";
import { StreamingHistogram } from "./histogram";

function makeRng(seed: number) {
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return { uniform: rnd, normal: () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd()) };
}

describe("StreamingHistogram", () => {
  it("keeps a fixed number of bins and exact counts while its range grows across batches", () => {
    const h = new StreamingHistogram(256);
    h.add([0.1, 0.2, 0.3]);
    h.add([5, 10]);
    h.add([100]);
    expect(h.counts.length).toBe(256);
    expect(h.total).toBe(6);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect(h.range).toBeGreaterThanOrEqual(100);
    expect(h.maxValue).toBe(100);
  });
});

describe("createCalibrator", () => {
  const rng = makeRng(3);
  // Gaussian activations plus a few huge outliers, in 10 batches.
  const batches = Array.from({ length: 10 }, (_, b) => {
    const a = Float32Array.from({ length: 10000 }, () => rng.normal());
    if (b === 4) a[17] = 80;
    if (b === 6) a[3] = -60;
    return a;
  });

  it("min-max returns the exact extremes", () => {
    const c = createCalibrator("minmax");
    for (const b of batches) c.update("x", b);
    expect(c.computeRanges().get("x")).toEqual({ min: -60, max: 80 });
  });

  it("percentile clips the outliers close to the true Gaussian quantile", () => {
    const c = createCalibrator("percentile", { percentile: 99.9 });
    for (const b of batches) c.update("x", b);
    const r = c.computeRanges().get("x")!;
    // 0.1% per tail of N(0,1) is ±3.09; histogram resolution (range up to 100 over 2048 bins) adds < 0.1.
    expect(r.max).toBeGreaterThan(2.9);
    expect(r.max).toBeLessThan(3.4);
    expect(r.min).toBeLessThan(-2.9);
    expect(r.min).toBeGreaterThan(-3.4);
  });

  it("entropy picks a threshold well inside the outliers but covering the bulk", () => {
    const c = createCalibrator("entropy");
    for (const b of batches) c.update("x", b);
    const r = c.computeRanges().get("x")!;
    expect(r.max).toBeGreaterThan(2);
    expect(r.max).toBeLessThan(10);
    expect(r.min).toBeCloseTo(-r.max, 6);
  });

  it("keeps a one-sided (ReLU) tensor's minimum at 0", () => {
    for (const method of ["percentile", "entropy"] as const) {
      const c = createCalibrator(method);
      for (const b of batches) c.update("relu", b.map((v) => Math.max(0, v)));
      const r = c.computeRanges().get("relu")!;
      expect(r.min).toBe(0);
      expect(r.max).toBeGreaterThan(2);
    }
  });

  it("handles an all-zero tensor", () => {
    const c = createCalibrator("entropy");
    c.update("z", new Float32Array(100));
    expect(c.computeRanges().get("z")).toEqual({ min: 0, max: 0 });
  });
});
