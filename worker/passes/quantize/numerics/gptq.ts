/**
 * GPTQ (Frantar et al. 2022) for one MatMul weight W [K, N] given the Hessian proxy H = XᵀX of its input
 * activations X [samples, K]. Quantizes the K input rows one at a time in the MatMulNBits block layout and pushes
 * each row's rounding error onto the rows not yet quantized, weighted by the inverse Hessian, so the layer output
 * XW changes less than with round-to-nearest.
 */
import { computeBlockParams, packMatMulNBits, quantizeUint4, type TMatMulNBitsWeight } from "./int4";

/** Streaming accumulator of H = XᵀX (float64, K×K): only K² numbers whatever the number of samples. */
export class HessianAccumulator {
  readonly K: number;
  readonly H: Float64Array;
  samples = 0;

  constructor(K: number) {
    this.K = K;
    this.H = new Float64Array(K * K);
  }

  /** Adds rows of X (row-major [rows, K]). */
  addRows(x: ArrayLike<number>, rows: number): void {
    const K = this.K;
    const H = this.H;
    const row = new Float64Array(K);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < K; k++) row[k] = x[r * K + k];
      for (let i = 0; i < K; i++) {
        const xi = row[i];
        if (xi === 0) continue;
        const base = i * K;
        // Upper triangle only; mirrored in `finalize` to halve the work.
        for (let j = i; j < K; j++) H[base + j] += xi * row[j];
      }
    }
    this.samples += rows;
  }

  /** The symmetric Hessian (mirrors the upper triangle). */
  finalize(): Float64Array {
    const K = this.K;
    const H = Float64Array.from(this.H);
    for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) H[j * K + i] = H[i * K + j];
    return H;
  }
}

/** In-place Cholesky H = L Lᵀ (lower); returns false when H is not positive definite. */
function choleskyLower(A: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j];
    for (let k = 0; k < j; k++) d -= A[j * n + k] * A[j * n + k];
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    A[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) A[j * n + k] = 0;
  }
  return true;
}

/** Inverse of an SPD matrix via its Cholesky factor. */
function invertSpd(H: Float64Array, n: number): Float64Array | undefined {
  const L = Float64Array.from(H);
  if (!choleskyLower(L, n)) return undefined;
  // Linv: inverse of the lower-triangular L, by forward substitution per column.
  const Linv = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    Linv[c * n + c] = 1 / L[c * n + c];
    for (let i = c + 1; i < n; i++) {
      let s = 0;
      for (let k = c; k < i; k++) s -= L[i * n + k] * Linv[k * n + c];
      Linv[i * n + c] = s / L[i * n + i];
    }
  }
  // H⁻¹ = Linvᵀ Linv.
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = j; k < n; k++) s += Linv[k * n + i] * Linv[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

export type TGptqOptions = {
  blockSize: number;
  symmetric: boolean;
  /** Diagonal dampening as a fraction of the mean diagonal (GPTQ's percdamp); keeps H invertible. */
  dampPercent?: number;
};

/**
 * Quantizes W [K, N] (row-major) to 4 bits with GPTQ, in the MatMulNBits layout (blocks of `blockSize` rows per
 * column; each block's scale is chosen when the block is reached, on the already error-compensated weights).
 * Falls back to more dampening when H is singular.
 */
export function quantizeGptq(weight: Float32Array, K: number, N: number, hessian: Float64Array, opts: TGptqOptions): TMatMulNBitsWeight {
  const { blockSize, symmetric } = opts;
  const H = Float64Array.from(hessian);
  const W = Float64Array.from(weight);
  // Inputs that never fire carry no information: fix their diagonal and zero their weights, as GPTQ does.
  let diagMean = 0;
  for (let k = 0; k < K; k++) {
    if (H[k * K + k] === 0) {
      H[k * K + k] = 1;
      for (let n = 0; n < N; n++) W[k * N + n] = 0;
    }
    diagMean += H[k * K + k];
  }
  diagMean /= K;
  let damp = (opts.dampPercent ?? 0.01) * diagMean;
  let Hinv: Float64Array | undefined;
  for (let attempt = 0; attempt < 6 && !Hinv; attempt++) {
    const Hd = Float64Array.from(H);
    for (let k = 0; k < K; k++) Hd[k * K + k] += damp;
    Hinv = invertSpd(Hd, K);
    damp *= 10;
  }
  if (!Hinv) throw new Error("GPTQ: the activation Hessian is not positive definite even after dampening");
  // Upper Cholesky factor U of H⁻¹ (H⁻¹ = Uᵀ U): row k holds the error-propagation weights for row k.
  const Lh = Float64Array.from(Hinv);
  if (!choleskyLower(Lh, K)) throw new Error("GPTQ: inverse Hessian is not positive definite");
  const U = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = 0; j <= i; j++) U[j * K + i] = Lh[i * K + j];

  const blocksPerCol = Math.ceil(K / blockSize);
  const codes = new Uint8Array(N * K);
  const scales = new Float32Array(N * blocksPerCol);
  const zps = symmetric ? undefined : new Uint8Array(N * blocksPerCol);
  const colBuf = new Float64Array(K);
  const err = new Float64Array(N);
  for (let k = 0; k < K; k++) {
    if (k % blockSize === 0) {
      const b = k / blockSize;
      const end = Math.min(K, k + blockSize);
      for (let n = 0; n < N; n++) {
        for (let r = k; r < end; r++) colBuf[r] = W[r * N + n];
        const p = computeBlockParams(colBuf, k, end, symmetric);
        scales[n * blocksPerCol + b] = p.scale;
        if (zps) zps[n * blocksPerCol + b] = p.zeroPoint;
      }
    }
    const b = Math.floor(k / blockSize);
    const d = U[k * K + k];
    for (let n = 0; n < N; n++) {
      const s = scales[n * blocksPerCol + b];
      const z = zps ? zps[n * blocksPerCol + b] : 8;
      const w = W[k * N + n];
      const q = quantizeUint4(w, s, z);
      codes[n * K + k] = q;
      err[n] = (w - (q - z) * s) / d;
    }
    for (let j = k + 1; j < K; j++) {
      const u = U[k * K + j];
      if (u === 0) continue;
      const base = j * N;
      for (let n = 0; n < N; n++) W[base + n] -= err[n] * u;
    }
  }
  return packMatMulNBits(codes, scales, zps, K, N, blockSize);
}
