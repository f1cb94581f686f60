/**
 * 1-D k-means for weight sharing: k-means++ seeding (deterministic), Lloyd iterations on a sample, then every
 * value is assigned to its nearest centroid by binary search over the sorted centroids' midpoints.
 */

function createRng(seed: number): () => number {
  let a = (seed + 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index of the centroid nearest to v; `mids[i]` is the midpoint between sorted centroids i and i+1. */
function nearest(mids: Float64Array, v: number): number {
  let lo = 0;
  let hi = mids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v > mids[mid]) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function midpoints(c: Float64Array): Float64Array {
  const m = new Float64Array(Math.max(0, c.length - 1));
  for (let i = 0; i < m.length; i++) m[i] = (c[i] + c[i + 1]) / 2;
  return m;
}

/**
 * Clusters `values` into at most k centroids (sorted ascending, fewer when there are fewer distinct values).
 * `keepZero`: one centroid is exactly 0 (pruned weights stay exact zeros).
 */
export function computeCentroids(values: Float32Array, k: number, opts: { iterations: number; sampleSize: number; seed: number; keepZero?: boolean }): Float64Array {
  const rand = createRng(opts.seed);
  let sample: Float32Array = values;
  if (values.length > opts.sampleSize) {
    sample = new Float32Array(opts.sampleSize);
    for (let i = 0; i < sample.length; i++) sample[i] = values[Math.floor(rand() * values.length)];
  }
  const distinct = new Set<number>();
  for (let i = 0; i < sample.length && distinct.size <= k; i++) distinct.add(sample[i]);
  if (distinct.size <= k) return Float64Array.from([...distinct].sort((a, b) => a - b));
  // k-means++: each next seed drawn with probability ∝ squared distance to the nearest chosen one.
  const chosen: number[] = opts.keepZero ? [0] : [sample[Math.floor(rand() * sample.length)]];
  const d2 = new Float64Array(sample.length).fill(Infinity);
  while (chosen.length < k) {
    const last = chosen[chosen.length - 1];
    let total = 0;
    for (let i = 0; i < sample.length; i++) {
      const d = (sample[i] - last) ** 2;
      if (d < d2[i]) d2[i] = d;
      total += d2[i];
    }
    if (total === 0) break;
    let pick = rand() * total;
    let idx = 0;
    for (; idx < sample.length - 1; idx++) {
      pick -= d2[idx];
      if (pick <= 0) break;
    }
    chosen.push(sample[idx]);
  }
  let c = Float64Array.from(chosen).sort();
  for (let it = 0; it < opts.iterations; it++) {
    const mids = midpoints(c);
    const sum = new Float64Array(c.length);
    const count = new Float64Array(c.length);
    for (let i = 0; i < sample.length; i++) {
      const j = nearest(mids, sample[i]);
      sum[j] += sample[i];
      count[j]++;
    }
    let moved = 0;
    const next = new Float64Array(c.length);
    for (let j = 0; j < c.length; j++) {
      next[j] = count[j] > 0 ? sum[j] / count[j] : c[j];
      moved = Math.max(moved, Math.abs(next[j] - c[j]));
    }
    if (opts.keepZero) {
      // The centroid nearest to zero is pinned at exactly zero.
      let z = 0;
      for (let j = 1; j < next.length; j++) if (Math.abs(next[j]) < Math.abs(next[z])) z = j;
      next[z] = 0;
    }
    c = next.sort();
    if (moved === 0) break;
  }
  return c;
}

/** Assigns every value to its nearest centroid (sorted ascending). */
export function assignToCentroids(values: Float32Array, centroids: Float64Array, out: Uint8Array, offset = 0): void {
  const mids = midpoints(centroids);
  for (let i = 0; i < values.length; i++) out[offset + i] = nearest(mids, values[i]);
}
