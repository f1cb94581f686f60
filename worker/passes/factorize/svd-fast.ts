/**
 * Randomized truncated SVD for big weights (Halko, Martinsson & Tropp 2011, algorithm 4.4 + 5.1) with every
 * O(m·n·l) and O(m·l²) product on onnxruntime's float64 Gemm (multi-threaded, SIMD), and only the O(l³) work
 * (Cholesky, triangular inverse, the l×l eigenproblem) in JS. Orthonormalization is Cholesky-QR run twice
 * (CholQR2: orthogonal to rounding for condition numbers up to ~1e5 per pass, which the re-orthonormalization after
 * every product keeps us under); columns whose independent part is below 1e-5 of their norm are dropped (zeroed),
 * as the plain-JS modified Gram-Schmidt in svd.ts does.
 */
import { createMatrixMultiplier, type TMatrixMultiplier } from "./ort-matmul";
import { createRng, fillGaussian, type TSvd } from "./svd";
import { decomposeSymmetricFast } from "./symmetric-eigen";

/** Squared share of a column's norm below which it counts as dependent on the earlier ones. */
const DROP_TOLERANCE = 1e-10;

/**
 * Upper-triangular R with G = RᵀR (G = YᵀY, l×l), rows of dependent columns left zero, and R⁻¹ whose columns for
 * dependent columns are zero (so Y·R⁻¹ zeroes them and nothing else reads them).
 */
export function invertCholeskyFactor(gram: Float64Array, l: number): { rInv: Float64Array; dropped: number } {
  const a = Float64Array.from(gram);
  const r = new Float64Array(l * l);
  const keep = new Uint8Array(l);
  let dropped = 0;
  for (let i = 0; i < l; i++) {
    const piv = a[i * l + i];
    if (!(piv > DROP_TOLERANCE * gram[i * l + i]) || !(gram[i * l + i] > 0)) {
      dropped++;
      continue;
    }
    keep[i] = 1;
    const rii = Math.sqrt(piv);
    const ri = i * l;
    r[ri + i] = rii;
    for (let j = i + 1; j < l; j++) r[ri + j] = a[ri + j] / rii;
    // Right-looking update of the trailing block keeps the inner loop contiguous.
    for (let j = i + 1; j < l; j++) {
      const rij = r[ri + j];
      if (rij === 0) continue;
      const aj = j * l;
      for (let k = j; k < l; k++) a[aj + k] -= rij * r[ri + k];
    }
  }
  // Back substitution R·X = I row by row (dependent rows act as identity rows, then their column is zeroed).
  const x = new Float64Array(l * l);
  for (let i = l - 1; i >= 0; i--) {
    const xi = i * l;
    if (!keep[i]) continue;
    x[xi + i] = 1;
    for (let k = i + 1; k < l; k++) {
      const rik = r[i * l + k];
      if (rik === 0 || !keep[k]) continue;
      const xk = k * l;
      for (let j = k; j < l; j++) x[xi + j] -= rik * x[xk + j];
    }
    const inv = 1 / r[i * l + i];
    for (let j = i; j < l; j++) x[xi + j] *= inv;
  }
  return { rInv: x, dropped };
}

/** Orthonormal basis of Y's columns (rows×l, row-major) by `passes` rounds of Cholesky-QR. */
async function orthonormalize(mm: TMatrixMultiplier, y: Float64Array, rows: number, l: number, passes = 2): Promise<Float64Array> {
  let q = y;
  for (let p = 0; p < passes; p++) {
    const gram = await mm.multiplyTransposed(q, rows, l, q, l);
    const { rInv } = invertCholeskyFactor(gram, l);
    q = await mm.multiply(q, rows, l, rInv, l);
  }
  return q;
}

/**
 * Randomized truncated SVD of row-major A (m×n): the top `rank` singular triplets from a sketch of
 * `rank + oversampling` columns refined by `powerIterations` passes. Pass `multiplier` to reuse its sessions
 * across calls; otherwise one is opened and released here.
 */
export async function computeRandomizedSvdFast(
  a: Float32Array | Float64Array,
  m: number,
  n: number,
  opts: { rank: number; oversampling?: number; powerIterations?: number; seed?: number; multiplier?: TMatrixMultiplier },
): Promise<TSvd> {
  const mm = opts.multiplier ?? (await createMatrixMultiplier());
  try {
    const a64 = a instanceof Float64Array ? a : Float64Array.from(a);
    const l = Math.min(m, n, opts.rank + (opts.oversampling ?? 10));
    const omega = new Float64Array(n * l);
    fillGaussian(omega, createRng(opts.seed ?? 0));
    const powerIterations = opts.powerIterations ?? 2;
    let q = await orthonormalize(mm, await mm.multiply(a64, m, n, omega, l), m, l, powerIterations > 0 ? 1 : 2);
    for (let it = 0; it < powerIterations; it++) {
      // Intermediate bases only need the right span (one Cholesky-QR round keeps the columns independent);
      // the final one must also be orthonormal to rounding, hence two rounds.
      const last = it === powerIterations - 1;
      const z = await orthonormalize(mm, await mm.multiplyTransposed(a64, m, n, q, l), n, l, 1);
      q = await orthonormalize(mm, await mm.multiply(a64, m, n, z, l), m, l, last ? 2 : 1);
    }
    // A ≈ Q·B with Bᵀ = Aᵀ·Q (n×l); B·Bᵀ = Btᵀ·Bt has B's left singular vectors and σ² as eigenpairs.
    const bt = await mm.multiplyTransposed(a64, m, n, q, l);
    const gram = await mm.multiplyTransposed(bt, n, l, bt, l);
    const { values, vectors } = decomposeSymmetricFast(gram, l);
    const r = Math.min(opts.rank, l);
    const vr = new Float64Array(l * r);
    for (let i = 0; i < l; i++) for (let c = 0; c < r; c++) vr[i * r + c] = vectors[i * l + c];
    const u = await mm.multiply(q, m, l, vr, r);
    const w = await mm.multiply(bt, n, l, vr, r);
    const s = new Float64Array(r);
    const vt = new Float64Array(r * n);
    for (let c = 0; c < r; c++) {
      const sigma = Math.sqrt(Math.max(0, values[c]));
      s[c] = sigma;
      if (sigma > 0) for (let k = 0; k < n; k++) vt[c * n + k] = w[k * r + c] / sigma;
    }
    return { m, n, rank: r, u, s, vt };
  } finally {
    if (!opts.multiplier) await mm.release();
  }
}

/**
 * Full SVD (all min(m, n) triplets) from the eigenpairs of the smaller Gram matrix A·Aᵀ or Aᵀ·A, built on
 * onnxruntime: one Gemm, one l×l eigenproblem and one Gemm for the other side. Singular values below ~1e-8·σ₁ lose
 * relative accuracy (squared in the Gram), which is harmless for choosing ranks by energy and for the leading
 * vectors Tucker-2 keeps.
 */
export async function computeFullSvdByGram(a: Float32Array | Float64Array, m: number, n: number, multiplier?: TMatrixMultiplier): Promise<TSvd> {
  const mm = multiplier ?? (await createMatrixMultiplier());
  try {
    const a64 = a instanceof Float64Array ? a : Float64Array.from(a);
    const wide = m <= n;
    // X is the side with l = min(m, n) rows: X = A (m ≤ n) or Aᵀ.
    const [l, other] = wide ? [m, n] : [n, m];
    const x = wide ? a64 : transposeMatrix(a64, m, n);
    const xt = wide ? transposeMatrix(a64, m, n) : a64;
    const gram = await mm.multiplyTransposed(xt, other, l, xt, l);
    const { values, vectors } = decomposeSymmetricFast(gram, l);
    // The other side's vectors: Xᵀ·U / σ (other × l).
    const w = await mm.multiplyTransposed(x, l, other, vectors, l);
    const s = new Float64Array(l);
    const other64 = new Float64Array(l * other);
    for (let c = 0; c < l; c++) {
      const sigma = Math.sqrt(Math.max(0, values[c]));
      s[c] = sigma;
      if (sigma > 0) for (let k = 0; k < other; k++) other64[c * other + k] = w[k * l + c] / sigma;
    }
    if (wide) return { m, n, rank: l, u: vectors, s, vt: other64 };
    // A = (X)ᵀ with X = U_x Σ V_xᵀ: A's U is V_x (m × l) and A's Vᵀ is U_xᵀ (l × n).
    return { m, n, rank: l, u: transposeMatrix(other64, l, other), s, vt: transposeMatrix(vectors, l, l) };
  } finally {
    if (!multiplier) await mm.release();
  }
}

function transposeMatrix(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}
