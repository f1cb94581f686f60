import type { TOutputFidelity } from "../../contracts/report";
import { readAsFloat64, type THostTensor } from "../data/host-tensor";

/**
 * Fidelity of a compressed model's outputs against the original's, accumulated over batches in float64 so a
 * dataset never has to be held in memory. Metrics are over all elements of all batches (not averaged per batch).
 */

/** SNR is capped so identical outputs give a finite, JSON-encodable number (float32 noise floor is ~150 dB). */
export const MAX_SNR_DB = 200;

export type { TOutputFidelity };

type TAccumulator = {
  elements: number;
  dot: number;
  refSq: number;
  gotSq: number;
  errSq: number;
  maxAbs: number;
  cosineMin: number;
  nonFinite: number;
  top1Rows: number;
  top1Agree: number;
  classScores: boolean | undefined;
};

/**
 * An output "looks like class scores" when it is floating point, rank 2 ([batch, classes]) or rank 3
 * ([batch, positions, classes], e.g. CTC recognisers), with at least 2 classes on the last axis.
 * Rank-4 maps (detection/segmentation) are excluded: their last axis is width, not classes.
 */
export function looksLikeClassScores(t: THostTensor): boolean {
  const isFloat = t.dtype === "float32" || t.dtype === "float16" || t.dtype === "float64";
  const last = t.dims[t.dims.length - 1] ?? 0;
  return isFloat && (t.dims.length === 2 || t.dims.length === 3) && last >= 2;
}

/** Cosine of two vectors; 1 when both are all-zero, 0 when exactly one is. */
export function computeCosine(dot: number, aSq: number, bSq: number): number {
  if (aSq === 0 && bSq === 0) return 1;
  if (aSq === 0 || bSq === 0) return 0;
  return Math.max(-1, Math.min(1, dot / Math.sqrt(aSq * bSq)));
}

/** SNR in dB from signal and noise energies, capped at ±MAX_SNR_DB. */
export function computeSnrDb(signalSq: number, noiseSq: number): number {
  if (noiseSq === 0) return MAX_SNR_DB;
  if (signalSq === 0) return -MAX_SNR_DB;
  return Math.max(-MAX_SNR_DB, Math.min(MAX_SNR_DB, 10 * Math.log10(signalSq / noiseSq)));
}

function argmaxRows(v: Float64Array, classes: number): Int32Array {
  const rows = Math.floor(v.length / classes);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestV = -Infinity;
    for (let c = 0; c < classes; c++) {
      const x = v[r * classes + c];
      if (x > bestV) {
        bestV = x;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

/** Streams (reference, candidate) output pairs and produces per-output fidelity. */
export class FidelityAccumulator {
  private readonly acc = new Map<string, TAccumulator>();

  /** Adds one batch: `reference` from the original model, `candidate` from the compressed one, same names. */
  add(reference: Record<string, THostTensor>, candidate: Record<string, THostTensor>): void {
    for (const [name, ref] of Object.entries(reference)) {
      const got = candidate[name];
      if (!got) throw new Error(`compressed model did not produce output '${name}'`);
      this.addOutput(name, ref, got);
    }
  }

  private addOutput(name: string, refT: THostTensor, gotT: THostTensor): void {
    const ref = readAsFloat64(refT);
    const got = readAsFloat64(gotT);
    if (ref.length !== got.length) {
      throw new Error(`output '${name}' has ${got.length} elements in the compressed model, ${ref.length} in the original`);
    }
    let a = this.acc.get(name);
    if (!a) {
      a = { elements: 0, dot: 0, refSq: 0, gotSq: 0, errSq: 0, maxAbs: 0, cosineMin: 1, nonFinite: 0, top1Rows: 0, top1Agree: 0, classScores: undefined };
      this.acc.set(name, a);
    }
    const rows = refT.dims.length > 0 ? Math.max(1, refT.dims[0]) : 1;
    const rowLen = Math.floor(ref.length / rows) || ref.length;
    for (let r = 0; r * rowLen < ref.length; r++) {
      let dot = 0;
      let rs = 0;
      let gs = 0;
      const end = Math.min(ref.length, (r + 1) * rowLen);
      for (let i = r * rowLen; i < end; i++) {
        const x = ref[i];
        let y = got[i];
        if (!Number.isFinite(x)) continue; // the original itself is non-finite here: nothing to compare against
        if (!Number.isFinite(y)) {
          a.nonFinite++;
          a.maxAbs = Infinity;
          y = 0;
        }
        const e = x - y;
        dot += x * y;
        rs += x * x;
        gs += y * y;
        a.errSq += e * e;
        const ae = Math.abs(e);
        if (ae > a.maxAbs) a.maxAbs = ae;
      }
      a.dot += dot;
      a.refSq += rs;
      a.gotSq += gs;
      a.cosineMin = Math.min(a.cosineMin, computeCosine(dot, rs, gs));
    }
    a.elements += ref.length;
    a.classScores ??= looksLikeClassScores(refT);
    if (a.classScores && looksLikeClassScores(gotT)) {
      const classes = refT.dims[refT.dims.length - 1];
      const ra = argmaxRows(ref, classes);
      const ga = argmaxRows(got, classes);
      for (let i = 0; i < ra.length; i++) if (ra[i] === ga[i]) a.top1Agree++;
      a.top1Rows += ra.length;
    }
  }

  /** Per-output results in insertion order. */
  results(): TOutputFidelity[] {
    return [...this.acc.entries()].map(([name, a]) => {
      const r: TOutputFidelity = {
        name,
        elements: a.elements,
        cosine: a.nonFinite > 0 ? 0 : computeCosine(a.dot, a.refSq, a.gotSq),
        cosineMin: a.nonFinite > 0 ? 0 : a.cosineMin,
        mse: a.elements > 0 ? a.errSq / a.elements : 0,
        // JSON has no Infinity: a non-finite output reports the largest float32 as its error.
        maxAbsError: Number.isFinite(a.maxAbs) ? a.maxAbs : 3.4028234663852886e38,
        snrDb: a.nonFinite > 0 ? -MAX_SNR_DB : computeSnrDb(a.refSq, a.errSq),
        nonFiniteCount: a.nonFinite,
      };
      if (a.top1Rows > 0) r.top1Agreement = a.top1Agree / a.top1Rows;
      return r;
    });
  }
}

/** The worst output: lowest cosine and lowest SNR (possibly of different outputs), largest MSE and error. */
export function summarizeFidelity(outputs: readonly TOutputFidelity[]): {
  cosine: number;
  snrDb: number;
  mse: number;
  maxAbsError: number;
} {
  if (outputs.length === 0) return { cosine: 1, snrDb: MAX_SNR_DB, mse: 0, maxAbsError: 0 };
  return {
    cosine: Math.min(...outputs.map((o) => o.cosine)),
    snrDb: Math.min(...outputs.map((o) => o.snrDb)),
    mse: Math.max(...outputs.map((o) => o.mse)),
    maxAbsError: Math.max(...outputs.map((o) => o.maxAbsError)),
  };
}

/** Top-1 accuracy of class scores against integer labels, streamed over batches. */
export class AccuracyAccumulator {
  private correct = 0;
  private total = 0;

  /** Adds one batch of scores ([batch, classes] or [batch, 1, classes]) and its labels (one per row). */
  add(scores: THostTensor, labels: THostTensor): void {
    const classes = scores.dims[scores.dims.length - 1] ?? 1;
    const pred = argmaxRows(readAsFloat64(scores), classes);
    const lab = readAsFloat64(labels);
    if (pred.length !== lab.length) {
      throw new Error(`the labels batch has ${lab.length} labels for ${pred.length} predictions`);
    }
    for (let i = 0; i < pred.length; i++) if (pred[i] === lab[i]) this.correct++;
    this.total += pred.length;
  }

  /** Accuracy in [0, 1] and the number of labelled samples. */
  result(): { top1: number; samples: number } {
    return { top1: this.total > 0 ? this.correct / this.total : 0, samples: this.total };
  }
}
