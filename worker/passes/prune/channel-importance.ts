/**
 * Channel importance criteria for structured pruning, as strategies behind one interface (Torch-Pruning's
 * importance classes): a higher score means the channel matters more. Scores of a group's layers are normalised by
 * their mean before summing, so a wide layer does not outvote a narrow one.
 */
import { AppError } from "../../../contracts/app-error";
import type { TChannelGroup, TGroupWeight } from "./channel-graph";
import type { TTaylorSaliency } from "./taylor-saliency";

export type TChannelImportance = {
  readonly name: string;
  /** One score per channel of the group. */
  scoreGroup: (group: TChannelGroup) => Float32Array;
};

export type TChannelImportanceKind = "l1" | "l2" | "bn-scale" | "taylor";

/** Per-channel norm of a weight's slices along `axis` (p = 1 or 2). */
function sliceNorms(w: TGroupWeight, p: 1 | 2): Float64Array {
  const { dims, values } = w.weight;
  const size = dims[w.axis];
  const inner = dims.slice(w.axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % size;
    out[c] += p === 1 ? Math.abs(values[i]) : values[i] * values[i];
  }
  if (p === 2) for (let c = 0; c < size; c++) out[c] = Math.sqrt(out[c]);
  return out;
}

function addNormalized(total: Float32Array, scores: ArrayLike<number>): void {
  let mean = 0;
  for (let i = 0; i < scores.length; i++) mean += scores[i];
  mean /= Math.max(1, scores.length);
  for (let i = 0; i < total.length; i++) total[i] += mean > 0 ? scores[i] / mean : 0;
}

/** Weight-magnitude criterion: Lp norm of every layer slice that carries the channel. */
export class NormImportance implements TChannelImportance {
  readonly name: string;
  constructor(private readonly p: 1 | 2) {
    this.name = p === 1 ? "l1" : "l2";
  }
  scoreGroup(group: TChannelGroup): Float32Array {
    const total = new Float32Array(group.size);
    for (const w of [...group.producers, ...group.coupled]) {
      if (w.weight.dims[w.axis] === group.size) addNormalized(total, sliceNorms(w, this.p));
    }
    return total;
  }
}

/** Network-slimming criterion: |gamma| of the BatchNormalizations on the group; L1 where a group has none. */
export class BatchNormScaleImportance implements TChannelImportance {
  readonly name = "bn-scale";
  /** Groups scored with the L1 fallback (no BatchNormalization on them). */
  fallbacks = 0;
  private readonly fallback = new NormImportance(1);
  scoreGroup(group: TChannelGroup): Float32Array {
    const bns = group.batchNormScales.filter((b) => b.gamma.length === group.size);
    if (bns.length === 0) {
      this.fallbacks++;
      return this.fallback.scoreGroup(group);
    }
    const total = new Float32Array(group.size);
    for (const b of bns) addNormalized(total, Array.from(b.gamma, Math.abs));
    return total;
  }
}

/** Sums per-element saliency over the slices of `axis` (one value per channel). */
function sumSlices(values: Float32Array, dims: readonly number[], axis: number): Float64Array {
  const size = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  for (let i = 0; i < values.length; i++) out[Math.floor(i / inner) % size] += values[i];
  return out;
}

/**
 * First-order Taylor criterion: per calibration batch, |Σ w · dL/dw| over each layer slice that carries the channel
 * (the first-order loss change of removing it), averaged over batches. Layers are the group's producer weights and
 * biases, coupled depthwise Convs, and the BatchNormalization scale and shift (counted as one layer, as BN-scale
 * does), each normalised by its mean like the other criteria. Saliency comes from computeTaylorSaliency.
 */
export class TaylorImportance implements TChannelImportance {
  readonly name = "taylor";
  constructor(private readonly saliency: TTaylorSaliency) {}
  scoreGroup(group: TChannelGroup): Float32Array {
    const total = new Float32Array(group.size);
    for (const layer of this.listLayers(group)) {
      const batchCount = Math.max(0, ...layer.map((p) => this.saliency.get(p.name)?.length ?? 0));
      if (batchCount === 0) continue;
      const score = new Float64Array(group.size);
      for (let b = 0; b < batchCount; b++) {
        const sum = new Float64Array(group.size);
        for (const p of layer) {
          const wg = this.saliency.get(p.name)?.[b];
          if (!wg || p.dims[p.axis] !== group.size || wg.length !== p.dims.reduce((x, y) => x * y, 1)) continue;
          const s = sumSlices(wg, p.dims, p.axis);
          for (let c = 0; c < group.size; c++) sum[c] += s[c];
        }
        for (let c = 0; c < group.size; c++) score[c] += Math.abs(sum[c]) / batchCount;
      }
      addNormalized(total, score);
    }
    return total;
  }

  /** The group's layers, each a list of weight slices that act on the channel together (a weight and its bias). */
  private listLayers(group: TChannelGroup): { name: string; dims: readonly number[]; axis: number }[][] {
    const layers: { name: string; dims: readonly number[]; axis: number }[][] = [];
    for (const w of [...group.producers, ...group.coupled]) {
      const layer = [{ name: w.weight.name, dims: w.weight.dims, axis: w.axis }];
      const op = w.node.opType ?? "";
      const bias = w.node.input[2];
      if ((op === "Conv" || op === "ConvTranspose" || op === "Gemm") && bias) layer.push({ name: bias, dims: [group.size], axis: 0 });
      layers.push(layer);
    }
    for (const b of group.batchNormScales) {
      layers.push([1, 2].filter((i) => b.node.input[i]).map((i) => ({ name: b.node.input[i], dims: [group.size], axis: 0 })));
    }
    return layers;
  }
}

/**
 * Creates the criterion for an option value. "taylor" needs the saliency of a calibration run
 * (computeTaylorSaliency); pruneChannels computes it.
 */
export function createChannelImportance(kind: TChannelImportanceKind, opts: { taylorSaliency?: TTaylorSaliency } = {}): TChannelImportance {
  switch (kind) {
    case "l1":
      return new NormImportance(1);
    case "l2":
      return new NormImportance(2);
    case "bn-scale":
      return new BatchNormScaleImportance();
    case "taylor":
      if (!opts.taylorSaliency) {
        throw new AppError("INTERNAL", { message: 'the "taylor" importance needs saliency from computeTaylorSaliency', userMessage: "Taylor importance could not be computed" });
      }
      return new TaylorImportance(opts.taylorSaliency);
  }
}
