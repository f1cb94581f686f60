import { describe, expect, it } from "vitest";
import { computeExactSvd, computeRandomizedSvd, createRng, decomposeSymmetric, type TSvd } from "./svd";
import { computeFullSvdByGram, computeRandomizedSvdFast, invertCholeskyFactor } from "./svd-fast";
import { decomposeSymmetricFast } from "./symmetric-eigen";

/** m×n matrix with singular values decaying as `decay`^j (smooth pseudo-random singular vectors). */
function buildMatrix(m: number, n: number, decay: number, seed = 1): Float32Array {
  const a = new Float32Array(m * n);
  for (let j = 0; j < Math.min(m, n); j++) {
    const s = decay ** j;
    for (let i = 0; i < m; i++) {
      const u = Math.sin((i + 1) * (j + seed) * 0.37);
      for (let k = 0; k < n; k++) a[i * n + k] += s * u * Math.cos((k + 1) * (j + 2 * seed) * 0.53);
    }
  }
  return a;
}

function randomMatrix(m: number, n: number, seed: number): Float32Array {
  const rand = createRng(seed);
  return Float32Array.from({ length: m * n }, () => rand() - 0.5);
}

function truncationError(a: Float32Array, svd: TSvd, r: number): number {
  let err = 0;
  for (let i = 0; i < svd.m; i++) {
    for (let k = 0; k < svd.n; k++) {
      let v = 0;
      for (let j = 0; j < r; j++) v += svd.u[i * svd.rank + j] * svd.s[j] * svd.vt[j * svd.n + k];
      err += (v - a[i * svd.n + k]) ** 2;
    }
  }
  return Math.sqrt(err);
}

const maxRelativeError = (a: Float64Array, b: Float64Array, count: number) => Math.max(...Array.from({ length: count }, (_, j) => Math.abs(a[j] - b[j]) / b[j]));

describe("randomized SVD on onnxruntime Gemm", () => {
  it("matches the exact SVD: top-8 singular values to 1e-9 relative, truncation error within 1% of Eckart–Young", async () => {
    const a = buildMatrix(120, 90, 0.7, 3);
    const exact = computeExactSvd(a, 120, 90);
    const fast = await computeRandomizedSvdFast(a, 120, 90, { rank: 8, powerIterations: 2, seed: 7 });
    expect(maxRelativeError(fast.s, exact.s, 8)).toBeLessThan(1e-9);
    let optimal = 0;
    for (let j = 8; j < exact.s.length; j++) optimal += exact.s[j] ** 2;
    expect(truncationError(a, fast, 8)).toBeLessThan(Math.sqrt(optimal) * 1.01);
  });

  it("computes the same SVD as the plain-JS path, and on a flat (random) spectrum keeps the top 10 within 1%", async () => {
    // The hard case for randomized SVD: no spectral gap. Same seed = same sketch, so both paths must agree to rounding.
    const a = randomMatrix(300, 200, 5);
    const exact = computeExactSvd(a, 300, 200);
    const js = computeRandomizedSvd(a, 300, 200, { rank: 50, powerIterations: 2, seed: 1 });
    const fast = await computeRandomizedSvdFast(a, 300, 200, { rank: 50, powerIterations: 2, seed: 1 });
    expect(maxRelativeError(fast.s, js.s, 50)).toBeLessThan(1e-9);
    // Measured: 0.77% (top 10), 2.4% (top 25), 5.5% (all 50); energy kept 0.530 against the optimal 0.550.
    expect(maxRelativeError(fast.s, exact.s, 10)).toBeLessThan(0.01);
    for (let j = 0; j < 50; j++) expect(fast.s[j]).toBeLessThanOrEqual(exact.s[j] * (1 + 1e-9));
    const energy = (s: Float64Array, r: number) => s.slice(0, r).reduce((acc, v) => acc + v * v, 0);
    expect(energy(fast.s, 50)).toBeGreaterThan(0.95 * energy(exact.s, 50));
  });

  it("is exact at full rank and on rank-deficient matrices (dependent sketch columns are dropped)", async () => {
    const a = randomMatrix(64, 40, 9);
    const fast = await computeRandomizedSvdFast(a, 64, 40, { rank: 40, oversampling: 0, powerIterations: 1 });
    expect(truncationError(a, fast, 40)).toBeLessThan(1e-5);
    // Rank 3: a sketch of 13 columns has 10 dependent ones.
    const low = buildMatrix(50, 60, 0.5).fill(0);
    for (let j = 0; j < 3; j++) for (let i = 0; i < 50; i++) for (let k = 0; k < 60; k++) low[i * 60 + k] += Math.sin(i * (j + 1)) * Math.cos(k * (j + 2));
    const svd = await computeRandomizedSvdFast(low, 50, 60, { rank: 3 });
    expect(truncationError(low, svd, 3)).toBeLessThan(1e-5);
  });

  it("full SVD by the Gram matrix reconstructs tall and wide matrices and matches the exact singular values", async () => {
    for (const [m, n] of [
      [40, 70],
      [70, 40],
    ]) {
      const a = randomMatrix(m, n, 3);
      const exact = computeExactSvd(a, m, n);
      const full = await computeFullSvdByGram(a, m, n);
      expect(full.rank).toBe(Math.min(m, n));
      expect(maxRelativeError(full.s, exact.s, Math.min(m, n))).toBeLessThan(1e-9);
      expect(truncationError(a, full, full.rank)).toBeLessThan(1e-6);
    }
  });

  it("Cholesky-QR inverse: Rᵀ·R reproduces the Gram matrix and dependent columns are flagged", () => {
    // Columns 0, 1 independent, column 2 = column 0 + column 1.
    const y = [1, 0, 1, 2, 1, 3, 0, 1, 1, 1, 1, 2];
    const rows = 4;
    const l = 3;
    const gram = new Float64Array(l * l);
    for (let i = 0; i < l; i++) for (let j = 0; j < l; j++) for (let r = 0; r < rows; r++) gram[i * l + j] += y[r * l + i] * y[r * l + j];
    const { rInv, dropped } = invertCholeskyFactor(gram, l);
    expect(dropped).toBe(1);
    // Q = Y·R⁻¹ has orthonormal columns 0 and 1 and a zero column 2.
    const q = Array.from({ length: rows * l }, (_, idx) => {
      const r = Math.floor(idx / l);
      const c = idx % l;
      let v = 0;
      for (let k = 0; k < l; k++) v += y[r * l + k] * rInv[k * l + c];
      return v;
    });
    const dot = (i: number, j: number) => Array.from({ length: rows }, (_, r) => q[r * l + i] * q[r * l + j]).reduce((s, v) => s + v, 0);
    expect(dot(0, 0)).toBeCloseTo(1, 12);
    expect(dot(1, 1)).toBeCloseTo(1, 12);
    expect(dot(0, 1)).toBeCloseTo(0, 12);
    expect(dot(2, 2)).toBe(0);
  });

  it("tred2/tql2 eigensolver agrees with Jacobi and satisfies A·v = λ·v", () => {
    const l = 40;
    const sym = new Float64Array(l * l);
    for (let i = 0; i < l; i++) {
      for (let j = 0; j <= i; j++) {
        const v = Math.sin(i * 7.1 + j * 3.3);
        sym[i * l + j] = v;
        sym[j * l + i] = v;
      }
    }
    const jacobi = decomposeSymmetric(Float64Array.from(sym), l);
    const fast = decomposeSymmetricFast(sym, l);
    for (let j = 0; j < l; j++) expect(fast.values[j]).toBeCloseTo(jacobi.values[j], 10);
    let residual = 0;
    for (let c = 0; c < l; c++) {
      for (let i = 0; i < l; i++) {
        let acc = 0;
        for (let k = 0; k < l; k++) acc += sym[i * l + k] * fast.vectors[k * l + c];
        residual = Math.max(residual, Math.abs(acc - fast.values[c] * fast.vectors[i * l + c]));
      }
    }
    expect(residual).toBeLessThan(1e-12);
  });
});
