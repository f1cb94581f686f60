/**
 * `prune-channels`: structured pruning of Conv output channels and Gemm/MatMul output neurons. The dependency
 * graph (channel-graph.ts) groups coupled channels; an importance criterion ranks each group's channels; the kept
 * count comes from a per-group ratio or a global ranking (optionally searched to a MACs/params target) and is rounded
 * to a hardware-friendly multiple. The result is a genuinely smaller dense model with the same inputs and outputs.
 */
import { AppError } from "../../../contracts/app-error";
import { ZPruneChannelsOptions, type TPruneChannelsOptions } from "../../../contracts/pipeline";
import type { TPruningReport } from "../../../contracts/report";
import { countMacsWithShapes, observeValueShapes, type TValueShapes } from "../../evaluate/count-macs";
import type { TModelProto } from "../../onnx/onnx-proto";
import type { TRuntimeTensor } from "../../runtime/ort";
import { analyzeChannels, applyChannelSelection, applyChannelZeroing, type TChannelAnalysis } from "./channel-graph";
import { BatchNormScaleImportance, NormImportance, TaylorImportance, createChannelImportance, type TChannelImportance } from "./channel-importance";
import { computeTaylorSaliency } from "./taylor-saliency";
import { createRandom } from "../../data/generate-inputs";
import { cloneModel, moveConstantsToInitializers, nodeKey, removeUnusedInitializers } from "./prune-utils";

export type TPruneChannelsInput = Partial<TPruneChannelsOptions> & {
  /** Overrides the criterion named in `importance` (tests force known channels this way). */
  importanceStrategy?: TChannelImportance;
  /** Inputs used to observe shapes and count MACs; generated from the signature when absent. */
  feeds?: Record<string, TRuntimeTensor>;
  /**
   * Batches for data-driven criteria (Taylor). When absent, TAYLOR_GENERATED_BATCHES batches of N(0,1) floats shaped
   * like `feeds` are generated (the report says so: generated inputs rank channels worse than real data).
   */
  calibration?: readonly Record<string, TRuntimeTensor>[];
  /** What `calibration` is, for the report (e.g. the data source's description). */
  calibrationDescription?: string;
  signal?: AbortSignal;
};

/** The chosen channels, enough to rebuild the zeroed-weights reference (buildZeroedReference). */
export type TChannelSelection = { kept: ReadonlyMap<number, number[]>; shapes: TValueShapes; nodesToExclude: readonly string[] };

/** Generated batches for the Taylor criterion when no calibration data is given. */
export const TAYLOR_GENERATED_BATCHES = 8;

export type TPruneChannelsResult = { model: TModelProto; report: TPruningReport; warnings: string[]; selection: TChannelSelection };

/**
 * Kept channels after rounding to a multiple of `roundTo` (nearest), never below min(roundTo, size) nor above size.
 * With `blocks` > 1 (grouped Convs: every block keeps as many channels) the count is also a multiple of `blocks`.
 */
export function roundKeptChannels(size: number, keptRaw: number, roundTo: number, blocks = 1): number {
  const step = findKeptStep(size, roundTo, blocks);
  if (step === undefined) return size;
  const rounded = Math.round(keptRaw / step) * step;
  return Math.min(size, Math.max(step, rounded));
}

/** The multiple kept counts are rounded to; undefined when the group is too small to prune. */
function findKeptStep(size: number, roundTo: number, blocks: number): number | undefined {
  if (size <= roundTo) return undefined;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let step = (roundTo * blocks) / gcd(roundTo, blocks);
  if (step >= size) step = blocks;
  return size <= step ? undefined : step;
}

/**
 * The `count` highest-scoring channel indices, in ascending index order (ties keep the lower index); with `blocks`
 * > 1 the best count/blocks of every block.
 */
function selectTop(scores: Float32Array, count: number, blocks = 1): number[] {
  const blockSize = scores.length / blocks;
  const out: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const idx = Array.from({ length: blockSize }, (_, i) => b * blockSize + i);
    out.push(...idx.sort((x, y) => scores[y] - scores[x] || x - y).slice(0, count / blocks));
  }
  return out.sort((a, b) => a - b);
}

type TScoredGroup = { id: number; size: number; blocks: number; scores: Float32Array; normalized: Float32Array; layers: string[] };

function prepareWorkingCopy(model: TModelProto): TModelProto {
  const m = cloneModel(model);
  if (!m.graph) throw new AppError("UNPROCESSABLE", { userMessage: "the model has no graph" });
  moveConstantsToInitializers(m.graph);
  return m;
}

/** Applies a selection to a fresh copy of the prepared model and returns it (analysis ids are deterministic). */
function buildPruned(prepared: TModelProto, shapes: TValueShapes, nodesToExclude: readonly string[], kept: ReadonlyMap<number, number[]>): TModelProto {
  const m = cloneModel(prepared);
  const analysis = analyzeChannels(m.graph!, { shapes, nodesToExclude });
  applyChannelSelection(analysis, kept);
  removeUnusedInitializers(m.graph!);
  return m;
}

/**
 * Layer scope: kept channels per group, rounded to the hardware multiple. Rounding to the nearest multiple drifts:
 * on narrow models (MobileNetV3 at 0.35 width: 24, 32, 40, 88 channels) most groups round up and far fewer than
 * `ratio` of the channels go. So groups are then stepped down, the one with the smallest removed fraction first,
 * until at least `ratio` of all prunable channels are removed; no group goes past `maxGroupRatio` or below one step.
 */
export function balanceRoundedCounts(
  groups: readonly { id: number; size: number; blocks: number }[],
  opts: Pick<TPruneChannelsOptions, "ratio" | "roundTo" | "maxGroupRatio">,
): Map<number, number> {
  const counts = new Map(groups.map((g) => [g.id, roundKeptChannels(g.size, g.size * (1 - opts.ratio), opts.roundTo, g.blocks)]));
  const total = groups.reduce((a, g) => a + g.size, 0);
  const target = Math.floor(total * opts.ratio);
  let removed = groups.reduce((a, g) => a + g.size - counts.get(g.id)!, 0);
  while (removed < target) {
    let best: { g: (typeof groups)[number]; k: number; frac: number } | undefined;
    for (const g of groups) {
      const cur = counts.get(g.id)!;
      const step = findKeptStep(g.size, opts.roundTo, g.blocks);
      const next = step === undefined ? 0 : Math.ceil(cur / step) * step - step;
      if (step === undefined || next < step || 1 - next / g.size > opts.maxGroupRatio) continue;
      const frac = 1 - cur / g.size;
      if (!best || frac < best.frac) best = { g, k: next, frac };
    }
    if (!best) break;
    removed += counts.get(best.g.id)! - best.k;
    counts.set(best.g.id, best.k);
  }
  return counts;
}

/** Batches of N(0,1) floats shaped like `feeds` (non-float inputs are reused as they are). */
function generateLikeFeeds(feeds: Record<string, TRuntimeTensor>, count: number): Record<string, TRuntimeTensor>[] {
  return Array.from({ length: count }, (_, b) => {
    const rand = createRandom(1000 + b);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    return Object.fromEntries(
      Object.entries(feeds).map(([k, t]) => [k, t.type === "float32" ? { ...t, data: Float32Array.from(t.data as Float32Array, normal) } : t]),
    );
  });
}

/**
 * The Taylor criterion for the groups of `analysis`, or L1 with a warning when the model cannot be differentiated
 * (an op without a gradient rule on the path, an opset that cannot be upgraded).
 */
async function createTaylorImportance(
  prepared: TModelProto,
  analysis: TChannelAnalysis,
  batches: readonly Record<string, TRuntimeTensor>[],
  signal?: AbortSignal,
): Promise<{ importance: TChannelImportance; settings: Record<string, unknown>; warning?: string }> {
  const names = new Set<string>();
  for (const g of analysis.groups) {
    if (g.blockedReasons.length > 0) continue;
    for (const w of [...g.producers, ...g.coupled]) {
      names.add(w.weight.name);
      if (w.node.input[2]) names.add(w.node.input[2]);
    }
    for (const b of g.batchNormScales) for (const i of [1, 2]) if (b.node.input[i]) names.add(b.node.input[i]);
  }
  try {
    const r = await computeTaylorSaliency(prepared, batches, { paramNames: names, signal });
    return {
      importance: new TaylorImportance(r.saliency),
      settings: { taylorLoss: r.losses.map((l) => `${l.output}: ${l.kind}`).join(", "), taylorBatches: r.batchesUsed },
    };
  } catch (err) {
    if (signal?.aborted || (err instanceof AppError && err.code === "BAD_INPUT")) throw err;
    const why = err instanceof AppError ? err.userMessage : (err as Error).message.split("\n")[0];
    return {
      importance: new NormImportance(1),
      settings: { importanceFallback: "l1" },
      warning: `prune-channels: Taylor importance needs gradients through the model and none could be computed (${why}); ranked channels by L1 norm instead`,
    };
  }
}

/** Per-group kept channels for one global threshold on normalised scores. */
function selectGlobal(groups: readonly TScoredGroup[], threshold: number, opts: TPruneChannelsOptions): Map<number, number[]> {
  const kept = new Map<number, number[]>();
  for (const g of groups) {
    let below = 0;
    for (const v of g.normalized) if (v < threshold) below++;
    const pruned = Math.min(below, Math.floor(g.size * opts.maxGroupRatio));
    const k = roundKeptChannels(g.size, g.size - pruned, opts.roundTo, g.blocks);
    if (k < g.size) kept.set(g.id, selectTop(g.scores, k, g.blocks));
  }
  return kept;
}

/**
 * Prunes channels of `model` (not modified) and returns the smaller model with a report. Throws BAD_INPUT for
 * unavailable criteria and UNPROCESSABLE when the pruned model does not keep the original output shapes.
 */
export async function pruneChannels(model: TModelProto, input: TPruneChannelsInput = {}): Promise<TPruneChannelsResult> {
  const { importanceStrategy: customImportance, feeds: givenFeeds, calibration, calibrationDescription, signal, ...rest } = input;
  const opts = ZPruneChannelsOptions.parse(rest);
  const warnings: string[] = [];
  const prepared = prepareWorkingCopy(model);
  const observed = await observeValueShapes(prepared, {
    feeds: givenFeeds,
    generate: { dynamicDimSize: 1, innerDynamicDimSize: opts.shapeDimSize, seed: 0 },
  });
  signal?.throwIfAborted();
  const { shapes, feeds } = observed;
  const inputShapes = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [...t.dims]]));
  const before = countMacsWithShapes(prepared, shapes, inputShapes);

  const analysis: TChannelAnalysis = analyzeChannels(cloneModel(prepared).graph!, { shapes, nodesToExclude: opts.nodesToExclude });
  let importance: TChannelImportance;
  let taylorSettings: Record<string, unknown> = {};
  if (customImportance) importance = customImportance;
  else if (opts.importance !== "taylor") importance = createChannelImportance(opts.importance);
  else {
    const taylor = await createTaylorImportance(prepared, analysis, calibration ?? generateLikeFeeds(feeds, TAYLOR_GENERATED_BATCHES), signal);
    importance = taylor.importance;
    taylorSettings = { ...taylor.settings, calibration: calibration ? (calibrationDescription ?? "given") : `generated N(0,1), ${TAYLOR_GENERATED_BATCHES} batches` };
    if (taylor.warning) warnings.push(taylor.warning);
  }
  const skipped: TPruningReport["skipped"] = [];
  const scored: TScoredGroup[] = [];
  for (const g of analysis.groups) {
    const layers = g.producers.map((p) => nodeKey(p.node));
    if (g.blockedReasons.length > 0) {
      skipped.push({ node: layers.join(", "), reason: g.blockedReasons.join("; ") });
      continue;
    }
    if (g.size <= opts.roundTo) {
      skipped.push({ node: layers.join(", "), reason: `only ${g.size} channels (rounding multiple is ${opts.roundTo})` });
      continue;
    }
    const scores = importance.scoreGroup(g);
    let mean = 0;
    for (const v of scores) mean += v;
    mean /= scores.length;
    scored.push({ id: g.id, size: g.size, blocks: g.blocks, scores, normalized: scores.map((v) => (mean > 0 ? v / mean : 0)), layers });
  }

  let kept = new Map<number, number[]>();
  let pruned: TModelProto;
  if (opts.scope === "layer") {
    const counts = balanceRoundedCounts(scored, opts);
    for (const g of scored) {
      const k = counts.get(g.id)!;
      if (k < g.size) kept.set(g.id, selectTop(g.scores, k, g.blocks));
    }
    pruned = buildPruned(prepared, shapes, opts.nodesToExclude, kept);
  } else if (opts.targetMacsRatio === undefined && opts.targetParamsRatio === undefined) {
    // Global ranking by ratio: the threshold that removes `ratio` of all prunable channels.
    const all = scored.flatMap((g) => Array.from(g.normalized)).sort((a, b) => a - b);
    const threshold = all[Math.min(all.length - 1, Math.floor(all.length * opts.ratio))] ?? 0;
    kept = selectGlobal(scored, threshold, opts);
    pruned = buildPruned(prepared, shapes, opts.nodesToExclude, kept);
  } else {
    // Global ranking searched to a MACs/params target: bisection on the threshold, each candidate measured.
    let lo = 0;
    let hi = Math.max(1, ...scored.map((g) => Math.max(...g.normalized))) + 1e-6;
    let best: { kept: Map<number, number[]>; model: TModelProto } | undefined;
    for (let iter = 0; iter < 14; iter++) {
      signal?.throwIfAborted();
      const t = (lo + hi) / 2;
      const candidateKept = selectGlobal(scored, t, opts);
      const candidate = buildPruned(prepared, shapes, opts.nodesToExclude, candidateKept);
      const m = countMacsWithShapes(candidate, (await observeValueShapes(candidate, { feeds })).shapes);
      const ok =
        (opts.targetMacsRatio === undefined || m.macs <= before.macs * opts.targetMacsRatio) &&
        (opts.targetParamsRatio === undefined || m.params <= before.params * opts.targetParamsRatio);
      if (ok) {
        best = { kept: candidateKept, model: candidate };
        hi = t;
      } else {
        lo = t;
      }
    }
    if (!best) {
      const t = hi;
      kept = selectGlobal(scored, t, opts);
      pruned = buildPruned(prepared, shapes, opts.nodesToExclude, kept);
      warnings.push("prune-channels: the MACs/params target could not be reached within maxGroupRatio; pruned as far as allowed");
    } else {
      kept = best.kept;
      pruned = best.model;
    }
  }
  signal?.throwIfAborted();

  // The pruned model must run and keep every output shape; a failure here is a bug in a coupling rule.
  let after;
  try {
    const afterShapes = (await observeValueShapes(pruned, { feeds })).shapes;
    for (const o of prepared.graph!.output) {
      const a = shapes.get(o.name ?? "")?.join("x");
      const b = afterShapes.get(o.name ?? "")?.join("x");
      if (a !== b) throw new Error(`output "${o.name}" changed shape from [${a}] to [${b}]`);
    }
    after = countMacsWithShapes(pruned, afterShapes, inputShapes);
  } catch (err) {
    throw new AppError("UNPROCESSABLE", {
      userMessage: `structured pruning produced an invalid model (${(err as Error).message.split("\n")[0]}); exclude the layers involved with nodesToExclude`,
      message: `prune-channels validation failed: ${(err as Error).message}`,
      cause: err,
    });
  }
  if (importance instanceof BatchNormScaleImportance && importance.fallbacks > 0) {
    warnings.push(`prune-channels: ${importance.fallbacks} group(s) have no BatchNormalization; ranked them by L1 norm instead of BN scale`);
  }
  if (kept.size === 0) warnings.push("prune-channels: no channel group could be pruned; the model is unchanged apart from weight storage");

  const layers: TPruningReport["layers"] = scored.map((g) => ({
    node: g.layers.join(", "),
    channelsBefore: g.size,
    channelsAfter: kept.get(g.id)?.length ?? g.size,
  }));
  return {
    model: pruned,
    warnings,
    selection: { kept, shapes, nodesToExclude: opts.nodesToExclude },
    report: {
      method: "channels",
      params: { before: before.params, after: after.params },
      macs: { before: before.macs, after: after.macs, ratio: before.macs > 0 ? after.macs / before.macs : 1, inputShapes },
      layers,
      skipped,
      settings: {
        importance: importance.name,
        scope: opts.scope,
        ratio: opts.ratio,
        roundTo: opts.roundTo,
        ...(opts.targetMacsRatio !== undefined ? { targetMacsRatio: opts.targetMacsRatio } : {}),
        ...(opts.targetParamsRatio !== undefined ? { targetParamsRatio: opts.targetParamsRatio } : {}),
        ...taylorSettings,
        groupsPruned: kept.size,
        groupsSkipped: skipped.length,
      },
    },
  };
}

/**
 * The original model with the weights that read removed channels set to zero (nothing removed): what the pruned
 * model must compute. Used to verify pruning on real models.
 */
export function buildZeroedReference(model: TModelProto, selection: TChannelSelection): TModelProto {
  const m = prepareWorkingCopy(model);
  const analysis = analyzeChannels(m.graph!, { shapes: selection.shapes, nodesToExclude: selection.nodesToExclude });
  applyChannelZeroing(analysis, selection.kept);
  return m;
}
