import type { TSensitivityEntry } from "../../contracts/report";
import type { THostFeeds, THostTensor } from "../data/host-tensor";
import { encodeModel } from "../onnx/model-io";
import type { TModelProto, TNodeProto } from "../onnx/onnx-proto";
import { throwIfAborted } from "../pipeline/abort";
import { createInferenceSession } from "../runtime/ort";
import { FidelityAccumulator, summarizeFidelity } from "./fidelity";
import { runOnHostFeeds } from "./run-feeds";

/**
 * Per-layer sensitivity: quantize ONE node at a time (everything else stays float), run the model on a small fixed
 * batch and measure how far its outputs move. Sorted most-damaging first, so a user with an accuracy drop can see
 * which layers to keep in float (`nodesToExclude`). Costs one session per measured layer: capped by `maxLayers`.
 */

/** A node the quantization pass could quantize. */
export type TSensitivityCandidate = { name: string; opType: string; weightElements: number };

/** Op types whose weights the quantization passes quantize. */
export const SENSITIVITY_OP_TYPES: ReadonlySet<string> = new Set(["Conv", "MatMul", "Gemm", "ConvTranspose"]);

/** Default cap on layers measured; each costs a session creation and one batch run. */
export const DEFAULT_SENSITIVITY_MAX_LAYERS = 16;

function countElements(dims: readonly (number | bigint)[]): number {
  let n = 1;
  for (const d of dims) n *= Number(d);
  return n;
}

/**
 * Named main-graph nodes of quantizable op types whose weight (input 1) is an initializer or a Constant output.
 * Unnamed nodes are skipped: the passes select nodes by name.
 */
export function listSensitivityCandidates(model: TModelProto): TSensitivityCandidate[] {
  const g = model.graph;
  if (!g) return [];
  const weights = new Map<string, number>();
  for (const t of g.initializer) if (t.name) weights.set(t.name, countElements(t.dims));
  for (const n of g.node) {
    if (n.opType !== "Constant" || !n.output[0]) continue;
    const value = n.attribute.find((a) => a.name === "value")?.t;
    if (value) weights.set(n.output[0], countElements(value.dims));
  }
  const out: TSensitivityCandidate[] = [];
  for (const n of g.node as TNodeProto[]) {
    if (!n.name || !n.opType || !SENSITIVITY_OP_TYPES.has(n.opType) || (n.domain ?? "") !== "") continue;
    const w = weights.get(n.input[1] ?? "");
    if (w !== undefined) out.push({ name: n.name, opType: n.opType, weightElements: w });
  }
  return out;
}

/**
 * Picks at most `max` candidates: the first and last layers (often the most sensitive), then the largest ones,
 * kept in graph order.
 */
export function selectSensitivityCandidates(all: readonly TSensitivityCandidate[], max: number): TSensitivityCandidate[] {
  if (all.length <= max) return [...all];
  if (max <= 0) return [];
  const chosen = new Set<number>([0, all.length - 1].slice(0, max));
  const bySize = all.map((c, i) => ({ i, w: c.weightElements })).sort((a, b) => b.w - a.w);
  for (const { i } of bySize) {
    if (chosen.size >= max) break;
    chosen.add(i);
  }
  return [...chosen].sort((a, b) => a - b).map((i) => all[i]);
}

export type TMeasureSensitivityInput = {
  /** The float model (before compression). */
  model: TModelProto;
  /** Returns a copy of `model` with only `node` quantized. */
  quantizeOnly: (model: TModelProto, node: TSensitivityCandidate) => Promise<TModelProto>;
  /** A small, fixed set of feeds (one batch is usually enough). */
  feeds: readonly THostFeeds[];
  /** Candidates to consider (default: `listSensitivityCandidates(model)`). */
  candidates?: readonly TSensitivityCandidate[];
  maxLayers?: number;
  intraOpThreads?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
};

export type TSensitivityResult = {
  entries: TSensitivityEntry[];
  /** Quantizable nodes found / measured (measured < total when capped). */
  candidateCount: number;
  measuredCount: number;
  /** Nodes whose single-node quantization failed, with the reason (they are left out of `entries`). */
  failures: { node: string; reason: string }[];
};

/** Measures per-layer sensitivity; see the module comment. */
export async function measureLayerSensitivity(input: TMeasureSensitivityInput): Promise<TSensitivityResult> {
  const all = input.candidates ? [...input.candidates] : listSensitivityCandidates(input.model);
  const chosen = selectSensitivityCandidates(all, input.maxLayers ?? DEFAULT_SENSITIVITY_MAX_LAYERS);
  const result: TSensitivityResult = { entries: [], candidateCount: all.length, measuredCount: 0, failures: [] };
  if (chosen.length === 0 || input.feeds.length === 0) return result;

  const reference: Record<string, THostTensor>[] = [];
  const base = await createInferenceSession(encodeModel(input.model), { intraOpThreads: input.intraOpThreads });
  try {
    for (const f of input.feeds) reference.push(await runOnHostFeeds(base, f));
  } finally {
    await base.release();
  }

  for (let i = 0; i < chosen.length; i++) {
    throwIfAborted(input.signal);
    const c = chosen[i];
    try {
      const q = await input.quantizeOnly(input.model, c);
      const s = await createInferenceSession(encodeModel(q), { intraOpThreads: input.intraOpThreads });
      try {
        const acc = new FidelityAccumulator();
        for (let b = 0; b < input.feeds.length; b++) acc.add(reference[b], await runOnHostFeeds(s, input.feeds[b]));
        const worst = summarizeFidelity(acc.results());
        result.entries.push({ node: c.name, opType: c.opType, cosine: worst.cosine, snrDb: worst.snrDb });
        result.measuredCount++;
      } finally {
        await s.release();
      }
    } catch (err) {
      if (input.signal?.aborted) throw err;
      result.failures.push({ node: c.name, reason: (err as Error).message });
    }
    input.onProgress?.(i + 1, chosen.length);
  }
  // Most damaging first: lowest SNR (cosine saturates near 1 for good layers, SNR still separates them).
  result.entries.sort((a, b) => a.snrDb - b.snrDb || a.cosine - b.cosine);
  return result;
}
