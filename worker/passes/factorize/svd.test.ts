import { describe, expect, it } from "vitest";
import { chooseRankForEnergy, computeExactSvd, computeRandomizedSvd, sumOfSquares } from "./svd";

/** m×n matrix with a decaying spectrum: Σ_j 0.7^j · u_j v_jᵀ for smooth pseudo-random u, v, plus small noise. */
function buildMatrix(m: number, n: number, seed = 1): Float32Array {
  const a = new Float32Array(m * n);
  for (let j = 0; j < Math.min(m, n); j++) {
    const s = 0.7 ** j;
    for (let i = 0; i < m; i++) {
      const u = Math.sin((i + 1) * (j + seed) * 0.37);
      for (let k = 0; k < n; k++) a[i * n + k] += s * u * Math.cos((k + 1) * (j + 2 * seed) * 0.53);
    }
  }
  return a;
}

function reconstruct(svd: ReturnType<typeof computeExactSvd>, r: number): Float64Array {
  const out = new Float64Array(svd.m * svd.n);
  for (let i = 0; i < svd.m; i++) for (let j = 0; j < r; j++) for (let k = 0; k < svd.n; k++) out[i * svd.n + k] += svd.u[i * svd.rank + j] * svd.s[j] * svd.vt[j * svd.n + k];
  return out;
}

describe("truncated SVD", () => {
  it("the exact SVD reconstructs the matrix and its singular values carry all the energy", () => {
    const a = buildMatrix(24, 40);
    const svd = computeExactSvd(a, 24, 40);
    const rec = reconstruct(svd, svd.rank);
    let err = 0;
    for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(rec[i] - a[i]));
    expect(err).toBeLessThan(1e-5);
    expect(sumOfSquares(svd.s)).toBeCloseTo(sumOfSquares(a), 6);
    for (let i = 1; i < svd.s.length; i++) expect(svd.s[i]).toBeLessThanOrEqual(svd.s[i - 1] + 1e-12);
  });

  it("randomized SVD matches the exact singular values (relative error < 1e-6 on the top 8) and the optimal truncation error", () => {
    const m = 120;
    const n = 90;
    const a = buildMatrix(m, n, 3);
    const exact = computeExactSvd(a, m, n);
    const approx = computeRandomizedSvd(a, m, n, { rank: 8, powerIterations: 2, seed: 7 });
    const relErr = Math.max(...Array.from({ length: 8 }, (_, j) => Math.abs(approx.s[j] - exact.s[j]) / exact.s[j]));
    expect(relErr).toBeLessThan(1e-6);
    // Eckart–Young: the best rank-8 error is the energy of the dropped singular values; ours must be within 1%.
    const rec = reconstruct(approx, 8);
    let err2 = 0;
    for (let i = 0; i < a.length; i++) err2 += (rec[i] - a[i]) ** 2;
    let optimal = 0;
    for (let j = 8; j < exact.s.length; j++) optimal += exact.s[j] ** 2;
    expect(Math.sqrt(err2)).toBeLessThan(Math.sqrt(optimal) * 1.01);
  });

  it("chooses the smallest rank keeping the energy", () => {
    const s = Float64Array.from([3, 2, 1]);
    expect(chooseRankForEnergy(s, 14, 0.6)).toBe(1);
    expect(chooseRankForEnergy(s, 14, 0.9)).toBe(2);
    expect(chooseRankForEnergy(s, 14, 1)).toBe(3);
    expect(chooseRankForEnergy(s, 20, 0.95)).toBeUndefined();
  });
});
