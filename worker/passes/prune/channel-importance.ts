/**
 * Channel importance criteria for structured pruning, as strategies behind one interface (Torch-Pruning's
 * importance classes): a higher score means the channel matters more. Scores of a group's layers are normalised by
 * their mean before summing, so a wide layer does not outvote a narrow one.
 */
import { AppError } from "../../../contracts/app-error";
import type { TChannelGroup, TGroupWeight } from "./channel-graph";

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

/** Creates the criterion for an option value. Taylor needs gradients, which no engine pass provides yet. */
export function createChannelImportance(kind: TChannelImportanceKind): TChannelImportance {
  switch (kind) {
    case "l1":
      return new NormImportance(1);
    case "l2":
      return new NormImportance(2);
    case "bn-scale":
      return new BatchNormScaleImportance();
    case "taylor":
      throw new AppError("BAD_INPUT", {
        userMessage:
          'the "taylor" importance needs gradients, which are not available yet (they will come from the distillation engine); use "l1", "l2" or "bn-scale"',
      });
  }
}
