/**
 * A fixed-size streaming histogram of non-negative values on [0, width × bins). When a batch exceeds the range,
 * the bin width grows by an integer factor and old bins merge exactly (bin i -> i / factor), so memory stays at
 * `bins` counters whatever the number of batches and no value is ever stored.
 */
export class StreamingHistogram {
  readonly counts: Float64Array;
  /** Width of one bin; 0 until the first non-zero value arrives. */
  binWidth = 0;
  /** Values seen so far (including zeros). */
  total = 0;
  /** Largest value seen. */
  maxValue = 0;

  constructor(readonly bins: number) {
    this.counts = new Float64Array(bins);
  }

  /** Upper edge of the covered range. */
  get range(): number {
    return this.binWidth * this.bins;
  }

  /**
   * Makes room for values up to `mx` (merging bins when needed) and returns the factor that maps a value to its
   * bin (value × factor, floored, capped at the last bin). Callers then count with `countAt`.
   */
  reserve(mx: number): number {
    if (mx > 0) this.growTo(mx);
    if (mx > this.maxValue) this.maxValue = mx;
    return this.binWidth > 0 ? 1 / this.binWidth : 0;
  }

  /** Adds non-negative values (negative ones and NaN are skipped); convenience for tests and small inputs. */
  add(values: ArrayLike<number>): void {
    let mx = 0;
    for (let i = 0; i < values.length; i++) if (values[i] > mx) mx = values[i];
    const inv = this.reserve(mx);
    const counts = this.counts;
    const last = this.bins - 1;
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!(v >= 0)) continue;
      const b = Math.floor(v * inv);
      counts[b > last ? last : b]++;
      n++;
    }
    this.total += n;
  }

  protected growTo(mx: number): void {
    if (this.binWidth === 0) {
      // A little headroom so the next batch's slightly larger max does not force a 2x merge right away.
      this.binWidth = (mx * 1.25) / this.bins;
      return;
    }
    if (mx < this.range) return;
    const factor = Math.ceil(mx / this.range + 1e-9);
    const merged = new Float64Array(this.bins);
    for (let i = 0; i < this.bins; i++) merged[Math.floor(i / factor)] += this.counts[i];
    this.counts.set(merged);
    this.binWidth *= factor;
  }

  /** Smallest value v with at most `tailFraction` of all counted values above it (bin upper edge). */
  findUpperQuantile(tailFraction: number): number {
    if (this.total === 0 || this.binWidth === 0) return 0;
    const allowed = tailFraction * this.total;
    let above = 0;
    for (let i = this.bins - 1; i >= 0; i--) {
      if (above + this.counts[i] > allowed) return Math.min(this.maxValue, (i + 1) * this.binWidth);
      above += this.counts[i];
    }
    return 0;
  }
}

/**
 * TensorRT's entropy calibration on a |x| histogram: for each candidate threshold bin i, compare the clipped
 * reference distribution P (outliers folded into the last bin) with its quantization Q onto `quantizedBins` levels,
 * and return the threshold minimizing KL(P‖Q).
 */
export function findEntropyThreshold(hist: StreamingHistogram, quantizedBins = 128): number {
  const counts = hist.counts;
  const bins = hist.bins;
  if (hist.total === 0 || hist.binWidth === 0) return 0;
  let lastNonZero = 0;
  for (let i = bins - 1; i >= 0; i--) {
    if (counts[i] > 0) {
      lastNonZero = i;
      break;
    }
  }
  if (lastNonZero < quantizedBins) return Math.min(hist.maxValue, (lastNonZero + 1) * hist.binWidth);
  // Totals above each i, so the outlier mass is O(1) per candidate.
  const suffix = new Float64Array(bins + 1);
  for (let i = bins - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + counts[i];
  let bestI = lastNonZero + 1;
  let bestKl = Infinity;
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  // Candidates beyond the last non-empty bin only repeat the same P; stepping keeps large histograms cheap.
  const step = Math.max(1, Math.floor((lastNonZero + 1 - quantizedBins) / 512));
  for (let i = quantizedBins; i <= lastNonZero + 1; i += step) {
    for (let j = 0; j < i; j++) p[j] = counts[j];
    p[i - 1] += suffix[i];
    // Quantize the first i bins into quantizedBins groups; spread each group's mass over its non-empty bins.
    const per = i / quantizedBins;
    for (let g = 0; g < quantizedBins; g++) {
      const start = Math.floor(g * per);
      const end = g === quantizedBins - 1 ? i : Math.floor((g + 1) * per);
      let sum = 0;
      let nonZero = 0;
      for (let j = start; j < end; j++) {
        sum += counts[j];
        if (counts[j] > 0) nonZero++;
      }
      for (let j = start; j < end; j++) q[j] = counts[j] > 0 ? sum / nonZero : 0;
    }
    let pSum = 0;
    let qSum = 0;
    for (let j = 0; j < i; j++) {
      pSum += p[j];
      qSum += q[j];
    }
    let kl = 0;
    for (let j = 0; j < i; j++) {
      if (p[j] === 0) continue;
      const pj = p[j] / pSum;
      // A reference bin Q cannot represent (q = 0) costs as if it had a tiny probability (TensorRT smooths similarly).
      const qj = q[j] > 0 ? q[j] / qSum : 1e-9;
      kl += pj * Math.log(pj / qj);
    }
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  return Math.min(hist.maxValue, (bestI + 0.5) * hist.binWidth);
}
