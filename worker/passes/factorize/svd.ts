/**
 * Truncated SVD in plain TypeScript for the low-rank pass: randomized range finding with power iterations
 * (Halko, Martinsson & Tropp 2011), then the exact SVD of the small projected matrix via a symmetric eigensolver (tred2/tql2).
 * Matrices are row-major Float32Array (weights) and Float64Array (work). An exact SVD (eigenpairs of the Gram matrix)
 * is kept for tests and tiny matrices. Big matrices go to svd-fast.ts (the same algorithm on onnxruntime Gemm).
 */
import { decomposeSymmetricFast } from "./symmetric-eigen";

/** A truncated SVD A ≈ U·diag(s)·Vᵀ: `u` is m×r and `vt` r×n, both row-major. */
export type TSvd = { m: number; n: number; rank: number; u: Float64Array; s: Float64Array; vt: Float64Array };

/** Deterministic uniform [0, 1) generator (mulberry32), so factorizations are reproducible. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller). */
export function fillGaussian(out: Float64Array, rand: () => number): void {
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(rand() + 1e-300));
    const t = 2 * Math.PI * rand();
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
}

/** Y (m×l) = A (m×n) · X (n×l). i-k-j order keeps the inner loop contiguous. */
function multiplyAX(a: Float32Array, m: number, n: number, x: Float64Array, l: number): Float64Array {
  const y = new Float64Array(m * l);
  for (let i = 0; i < m; i++) {
    const yo = i * l;
    const ao = i * n;
    for (let k = 0; k < n; k++) {
      const v = a[ao + k];
      if (v === 0) continue;
      const xo = k * l;
      for (let j = 0; j < l; j++) y[yo + j] += v * x[xo + j];
    }
  }
  return y;
}

/** Z (n×l) = Aᵀ (n×m) · Q (m×l), reading A row by row. */
function multiplyAtQ(a: Float32Array, m: number, n: number, q: Float64Array, l: number): Float64Array {
  const z = new Float64Array(n * l);
  for (let i = 0; i < m; i++) {
    const ao = i * n;
    const qo = i * l;
    for (let k = 0; k < n; k++) {
      const v = a[ao + k];
      if (v === 0) continue;
      const zo = k * l;
      for (let j = 0; j < l; j++) z[zo + j] += v * q[qo + j];
    }
  }
  return z;
}

/**
 * Orthonormalizes the columns of row-major Y (rows×l) in place with modified Gram-Schmidt, run twice
 * ("twice is enough") on a column-major copy so the loops stay contiguous. Dependent columns become zero.
 */
function orthonormalizeColumns(y: Float64Array, rows: number, l: number): void {
  const c = new Float64Array(rows * l);
  for (let i = 0; i < rows; i++) for (let j = 0; j < l; j++) c[j * rows + i] = y[i * l + j];
  const norms0 = new Float64Array(l);
  for (let j = 0; j < l; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += c[j * rows + i] ** 2;
    norms0[j] = Math.sqrt(s);
  }
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < l; j++) {
      const cj = j * rows;
      for (let p = 0; p < j; p++) {
        const cp = p * rows;
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += c[cp + i] * c[cj + i];
        if (dot !== 0) for (let i = 0; i < rows; i++) c[cj + i] -= dot * c[cp + i];
      }
      let s = 0;
      for (let i = 0; i < rows; i++) s += c[cj + i] ** 2;
      const norm = Math.sqrt(s);
      // A column that lost (almost) all of its length was dependent on earlier ones: drop it.
      const scale = norm > 1e-10 * (norms0[j] || 1) && norm > 1e-300 ? 1 / norm : 0;
      for (let i = 0; i < rows; i++) c[cj + i] *= scale;
    }
  }
  for (let i = 0; i < rows; i++) for (let j = 0; j < l; j++) y[i * l + j] = c[j * rows + i];
}

/**
 * Eigen-decomposition of a symmetric l×l matrix (row-major, destroyed) by cyclic Jacobi rotations.
 * Returns eigenvalues descending and eigenvectors as columns of a row-major l×l matrix.
 */
export function decomposeSymmetric(mat: Float64Array, l: number, maxSweeps = 30): { values: Float64Array; vectors: Float64Array } {
  const a = mat;
  const v = new Float64Array(l * l);
  for (let i = 0; i < l; i++) v[i * l + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < l; p++) {
      diag += a[p * l + p] ** 2;
      for (let q = p + 1; q < l; q++) off += a[p * l + q] ** 2;
    }
    if (off <= 1e-22 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < l - 1; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = a[p * l + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * l + p];
        const aqq = a[q * l + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < l; k++) {
          const akp = a[k * l + p];
          const akq = a[k * l + q];
          a[k * l + p] = cs * akp - sn * akq;
          a[k * l + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < l; k++) {
          const apk = a[p * l + k];
          const aqk = a[q * l + k];
          a[p * l + k] = cs * apk - sn * aqk;
          a[q * l + k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = v[k * l + p];
          const vkq = v[k * l + q];
          v[k * l + p] = cs * vkp - sn * vkq;
          v[k * l + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: l }, (_, i) => i).sort((i, j) => a[j * l + j] - a[i * l + i]);
  const values = Float64Array.from(order, (i) => a[i * l + i]);
  const vectors = new Float64Array(l * l);
  for (let r = 0; r < l; r++) for (let c = 0; c < l; c++) vectors[r * l + c] = v[r * l + order[c]];
  return { values, vectors };
}

/** Finishes an SVD from an orthonormal basis Q (m×l) of A's range: A ≈ Q·B with Bᵀ = Aᵀ·Q (n×l). */
function finishFromBasis(a: Float32Array, m: number, n: number, q: Float64Array, l: number, rank: number): TSvd {
  const bt = multiplyAtQ(a, m, n, q, l);
  // M = B·Bᵀ = Btᵀ·Bt (l×l); its eigenvectors are B's left singular vectors, its eigenvalues σ².
  const g = new Float64Array(l * l);
  for (let k = 0; k < n; k++) {
    const o = k * l;
    for (let i = 0; i < l; i++) {
      const v = bt[o + i];
      if (v === 0) continue;
      for (let j = i; j < l; j++) g[i * l + j] += v * bt[o + j];
    }
  }
  for (let i = 0; i < l; i++) for (let j = 0; j < i; j++) g[i * l + j] = g[j * l + i];
  const { values, vectors } = decomposeSymmetricFast(g, l);
  const r = Math.min(rank, l);
  const s = new Float64Array(r);
  const u = new Float64Array(m * r);
  const vt = new Float64Array(r * n);
  for (let c = 0; c < r; c++) {
    const sigma = Math.sqrt(Math.max(0, values[c]));
    s[c] = sigma;
    // U = Q·U_B
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let j = 0; j < l; j++) acc += q[i * l + j] * vectors[j * l + c];
      u[i * r + c] = acc;
    }
    // V = Bᵀ·U_B / σ
    if (sigma > 0) {
      for (let k = 0; k < n; k++) {
        let acc = 0;
        for (let j = 0; j < l; j++) acc += bt[k * l + j] * vectors[j * l + c];
        vt[c * n + k] = acc / sigma;
      }
    }
  }
  return { m, n, rank: r, u, s, vt };
}

/**
 * Randomized truncated SVD of row-major A (m×n): the top `rank` singular triplets, from a sketch of `rank +
 * oversampling` columns refined by `powerIterations` passes over A. Exact (to rounding) when the sketch covers
 * min(m, n) columns.
 */
export function computeRandomizedSvd(
  a: Float32Array,
  m: number,
  n: number,
  opts: { rank: number; oversampling?: number; powerIterations?: number; seed?: number },
): TSvd {
  const l = Math.min(m, n, opts.rank + (opts.oversampling ?? 10));
  const omega = new Float64Array(n * l);
  fillGaussian(omega, createRng(opts.seed ?? 0));
  let y = multiplyAX(a, m, n, omega, l);
  orthonormalizeColumns(y, m, l);
  for (let it = 0; it < (opts.powerIterations ?? 2); it++) {
    const z = multiplyAtQ(a, m, n, y, l);
    orthonormalizeColumns(z, n, l);
    y = multiplyAX(a, m, n, z, l);
    orthonormalizeColumns(y, m, l);
  }
  return finishFromBasis(a, m, n, y, l, opts.rank);
}

/** Exact SVD (all min(m, n) triplets) for small matrices: the randomized method with the full basis. */
export function computeExactSvd(a: Float32Array, m: number, n: number): TSvd {
  const l = Math.min(m, n);
  // Identity sketch over the smaller side gives an exact basis of A's range without randomness.
  if (m <= n) {
    const q = new Float64Array(m * m);
    for (let i = 0; i < m; i++) q[i * m + i] = 1;
    return finishFromBasis(a, m, n, q, m, l);
  }
  return computeRandomizedSvd(a, m, n, { rank: l, oversampling: 0, powerIterations: 1 });
}

/** Squared Frobenius norm. */
export function sumOfSquares(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

/** Smallest rank whose singular values keep `energy` of `totalEnergy` (‖A‖²_F); undefined when the sketch cannot. */
export function chooseRankForEnergy(s: Float64Array, totalEnergy: number, energy: number): number | undefined {
  let acc = 0;
  for (let r = 0; r < s.length; r++) {
    acc += s[r] * s[r];
    if (acc >= energy * totalEnergy * (1 - 1e-12)) return r + 1;
  }
  return undefined;
}
