import { describe, expect, it } from "vitest";
import type { THostTensor } from "../data/host-tensor";
import {
  AccuracyAccumulator,
  FidelityAccumulator,
  MAX_SNR_DB,
  computeSnrDb,
  looksLikeClassScores,
  summarizeFidelity,
} from "./fidelity";

const f32 = (dims: number[], values: number[]): THostTensor => ({ dtype: "float32", dims, data: new Float32Array(values) });

describe("FidelityAccumulator", () => {
  it("gives exact known values for a small pair", () => {
    const acc = new FidelityAccumulator();
    // ref = [3, 4], got = [3, 3]: dot 21, |ref| 5, |got| sqrt(18); err = [0, 1]
    acc.add({ y: f32([1, 2], [3, 4]) }, { y: f32([1, 2], [3, 3]) });
    const [r] = acc.results();
    expect(r.name).toBe("y");
    expect(r.elements).toBe(2);
    expect(r.cosine).toBeCloseTo(21 / (5 * Math.sqrt(18)), 12);
    expect(r.mse).toBeCloseTo(0.5, 12);
    expect(r.maxAbsError).toBe(1);
    expect(r.snrDb).toBeCloseTo(10 * Math.log10(25 / 1), 12);
    // rank-2 with 2 columns looks like scores: argmax of [3,4] is 1, of [3,3] is 0 (first max)
    expect(r.top1Agreement).toBe(0);
  });

  it("accumulates over batches like one big batch", () => {
    const ref = [1, -2, 3, 0.5, 7, -1];
    const got = [1.1, -2, 2.5, 0.5, 6, -1.2];
    const whole = new FidelityAccumulator();
    whole.add({ y: f32([3, 2], ref) }, { y: f32([3, 2], got) });
    const split = new FidelityAccumulator();
    split.add({ y: f32([1, 2], ref.slice(0, 2)) }, { y: f32([1, 2], got.slice(0, 2)) });
    split.add({ y: f32([2, 2], ref.slice(2)) }, { y: f32([2, 2], got.slice(2)) });
    const [a] = whole.results();
    const [b] = split.results();
    expect(b.cosine).toBeCloseTo(a.cosine, 12);
    expect(b.mse).toBeCloseTo(a.mse, 12);
    expect(b.snrDb).toBeCloseTo(a.snrDb, 12);
    expect(b.maxAbsError).toBeCloseTo(1, 6);
    const rowCos = [0, 1, 2].map((r) => {
      const x = ref.slice(2 * r, 2 * r + 2);
      const y = got.slice(2 * r, 2 * r + 2);
      return (x[0] * y[0] + x[1] * y[1]) / Math.hypot(...x) / Math.hypot(...y);
    });
    expect(b.cosineMin).toBeCloseTo(Math.min(...rowCos), 6);
    expect(b.top1Agreement).toBe(1); // each row's argmax is unchanged
  });

  it("caps SNR for identical outputs and flags non-finite values without producing NaN", () => {
    const acc = new FidelityAccumulator();
    acc.add({ same: f32([4], [1, 2, 3, 4]), bad: f32([2], [1, 2]) }, { same: f32([4], [1, 2, 3, 4]), bad: f32([2], [NaN, 2]) });
    const [same, bad] = acc.results();
    expect(same.snrDb).toBe(MAX_SNR_DB);
    expect(same.cosine).toBe(1);
    expect(same.top1Agreement).toBeUndefined(); // rank 1 is not class scores
    expect(bad.nonFiniteCount).toBe(1);
    expect(bad.cosine).toBe(0);
    expect(bad.snrDb).toBe(-MAX_SNR_DB);
    expect(Number.isFinite(bad.maxAbsError)).toBe(true);
    const s = summarizeFidelity(acc.results());
    expect(s.cosine).toBe(0);
    expect(s.snrDb).toBe(-MAX_SNR_DB);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it("refuses outputs of different sizes", () => {
    const acc = new FidelityAccumulator();
    expect(() => acc.add({ y: f32([2], [1, 2]) }, { y: f32([3], [1, 2, 3]) })).toThrow(/3 elements in the compressed model, 2 in the original/);
    expect(() => acc.add({ y: f32([2], [1, 2]) }, {})).toThrow(/did not produce output 'y'/);
  });
});

describe("helpers", () => {
  it("computes SNR in dB", () => {
    expect(computeSnrDb(100, 1)).toBeCloseTo(20, 12);
    expect(computeSnrDb(0, 1)).toBe(-MAX_SNR_DB);
  });

  it("recognises class-score outputs by rank and last axis", () => {
    expect(looksLikeClassScores(f32([1, 10], new Array(10).fill(0)))).toBe(true);
    expect(looksLikeClassScores(f32([1, 40, 6], new Array(240).fill(0)))).toBe(true);
    expect(looksLikeClassScores(f32([1, 1], [0]))).toBe(false);
    expect(looksLikeClassScores(f32([1, 1, 2, 2], [0, 0, 0, 0]))).toBe(false);
    expect(looksLikeClassScores({ dtype: "int64", dims: [1, 3], data: new BigInt64Array(3) })).toBe(false);
  });

  it("measures top-1 accuracy against integer labels", () => {
    const acc = new AccuracyAccumulator();
    acc.add(f32([3, 2], [0.9, 0.1, 0.2, 0.8, 0.6, 0.4]), { dtype: "int64", dims: [3], data: new BigInt64Array([0n, 1n, 1n]) });
    expect(acc.result()).toEqual({ top1: 2 / 3, samples: 3 });
    expect(() => acc.add(f32([1, 2], [1, 0]), { dtype: "int64", dims: [2], data: new BigInt64Array(2) })).toThrow(/2 labels for 1 predictions/);
  });
});
