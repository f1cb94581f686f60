/**
 * Activation-range calibrators: an interface plus `createCalibrator(method, opts)`.
 * They consume batches of activations per tensor and keep only running min/max and fixed-size histograms,
 * never the activations themselves (ORT's percentile calibrator keeps everything and needs >256 GB for BERT).
 */
import { z } from "zod";
import { findEntropyThreshold, StreamingHistogram } from "./histogram";

/** Calibration methods users can choose. */
export const CALIBRATION_METHODS = ["minmax", "percentile", "entropy"] as const;
export const ZCalibrationMethod = z.enum(CALIBRATION_METHODS);
export type TCalibrationMethod = z.infer<typeof ZCalibrationMethod>;

export const ZCalibratorOptions = z
  .object({
    /** Percentile kept by the percentile method; each tail loses (100 - percentile)% of the values. */
    percentile: z.number().min(90).max(100).default(99.99),
    /** Histogram bins per tensor (percentile, entropy). */
    bins: z.number().int().min(256).max(16384).default(2048),
    /** Quantized levels the entropy method compares against (128 for 8-bit with a sign, as TensorRT). */
    quantizedBins: z.number().int().min(16).max(1024).default(128),
  })
  .strict();
export type TCalibratorOptions = z.infer<typeof ZCalibratorOptions>;

/** A real range for one tensor. */
export type TTensorRange = { min: number; max: number };

/** Streaming calibrator over many named tensors. */
export type TCalibrator = {
  readonly method: TCalibrationMethod;
  /** Feeds one batch of a tensor's values. */
  update(tensorName: string, values: ArrayLike<number>): void;
  /** The range per tensor seen so far. */
  computeRanges(): Map<string, TTensorRange>;
};

type TTensorStats = { min: number; max: number; pos?: StreamingHistogram; neg?: StreamingHistogram; abs?: StreamingHistogram };

function updateMinMax(stats: TTensorStats, values: ArrayLike<number>): void {
  let mn = stats.min;
  let mx = stats.max;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  stats.min = mn;
  stats.max = mx;
}

/** One pass: positives (and zeros) into `pos`, magnitudes of negatives into `neg`. */
function addSigned(pos: StreamingHistogram, neg: StreamingHistogram, values: ArrayLike<number>, min: number, max: number): void {
  const ip = pos.reserve(Math.max(0, max));
  const ineg = neg.reserve(Math.max(0, -min));
  const pc = pos.counts;
  const nc = neg.counts;
  const last = pos.bins - 1;
  let np = 0;
  let nn = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v >= 0) {
      const b = Math.floor(v * ip);
      pc[b > last ? last : b]++;
      np++;
    } else if (v < 0) {
      const b = Math.floor(-v * ineg);
      nc[b > last ? last : b]++;
      nn++;
    }
  }
  pos.total += np;
  neg.total += nn;
}

/** One pass of |x| into `abs`. */
function addAbsolute(abs: StreamingHistogram, values: ArrayLike<number>, min: number, max: number): void {
  const inv = abs.reserve(Math.max(Math.abs(min), Math.abs(max)));
  const c = abs.counts;
  const last = abs.bins - 1;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    const b = Math.floor((v < 0 ? -v : v) * inv);
    c[b > last ? last : b]++;
    n++;
  }
  abs.total += n;
}

/** Creates a calibrator. min-max is exact; percentile and entropy work on streaming histograms. */
export function createCalibrator(method: TCalibrationMethod, opts: Partial<TCalibratorOptions> = {}): TCalibrator {
  const o = ZCalibratorOptions.parse(opts);
  const stats = new Map<string, TTensorStats>();
  const get = (name: string): TTensorStats => {
    let s = stats.get(name);
    if (!s) {
      s = { min: Infinity, max: -Infinity };
      if (method === "percentile") {
        s.pos = new StreamingHistogram(o.bins);
        s.neg = new StreamingHistogram(o.bins);
      } else if (method === "entropy") {
        s.abs = new StreamingHistogram(o.bins);
      }
      stats.set(name, s);
    }
    return s;
  };
  return {
    method,
    update(name, values) {
      const s = get(name);
      const batch = { min: Infinity, max: -Infinity };
      updateMinMax(batch, values);
      if (batch.min === Infinity) return;
      s.min = Math.min(s.min, batch.min);
      s.max = Math.max(s.max, batch.max);
      if (s.pos && s.neg) addSigned(s.pos, s.neg, values, batch.min, batch.max);
      if (s.abs) addAbsolute(s.abs, values, batch.min, batch.max);
    },
    computeRanges() {
      const out = new Map<string, TTensorRange>();
      for (const [name, s] of stats) {
        if (s.min === Infinity) {
          out.set(name, { min: 0, max: 0 });
          continue;
        }
        if (method === "minmax") {
          out.set(name, { min: s.min, max: s.max });
        } else if (method === "percentile") {
          // Each tail's allowance is relative to all values, so a one-sided tensor clips only its real tail.
          const total = s.pos!.total + s.neg!.total;
          const tail = (1 - o.percentile / 100) * total;
          const hi = s.max > 0 ? s.pos!.findUpperQuantile(tail / Math.max(1, s.pos!.total)) : s.max;
          const lo = s.min < 0 ? -s.neg!.findUpperQuantile(tail / Math.max(1, s.neg!.total)) : s.min;
          out.set(name, { min: Math.max(s.min, lo), max: Math.min(s.max, hi) });
        } else {
          const t = findEntropyThreshold(s.abs!, o.quantizedBins);
          out.set(name, { min: Math.max(s.min, -t), max: Math.min(s.max, t) });
        }
      }
      return out;
    },
  };
}
