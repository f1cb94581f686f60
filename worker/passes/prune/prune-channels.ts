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
import { BatchNormScaleImportance, createChannelImportance, type TChannelImportance } from "./channel-importance";
import { cloneModel, moveConstantsToInitializers, nodeKey, removeUnusedInitializers } from "./prune-utils";

export type TPruneChannelsInput = Partial<TPruneChannelsOptions> & {
  /** Overrides the criterion named in `importance` (tests force known channels this way). */
  importanceStrategy?: TChannelImportance;
  /** Inputs used to observe shapes and count MACs; generated from the signature when absent. */
  feeds?: Record<string, TRuntimeTensor>;
  signal?: AbortSignal;
};

/** The chosen channels, enough to rebuild the zeroed-weights reference (buildZeroedReference). */
export type TChannelSelection = { kept: ReadonlyMap<number, number[]>; shapes: TValueShapes; nodesToExclude: readonly string[] };

export type TPruneChannelsResult = { model: TModelProto; report: TPruningReport; warnings: string[]; selection: TChannelSelection };

/** Kept channels after rounding to a multiple of `roundTo` (nearest), never below min(roundTo, size) nor above size. */
export function roundKeptChannels(size: number, keptRaw: number, roundTo: number): number {
  if (size <= roundTo) return size;
  const rounded = Math.round(keptRaw / roundTo) * roundTo;
  return Math.min(size, Math.max(roundTo, rounded));
}

/** The `count` highest-scoring channel indices, in ascending index order (ties keep the lower index). */
function selectTop(scores: Float32Array, count: number): number[] {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, count).sort((a, b) => a - b);
}

type TScoredGroup = { id: number; size: number; scores: Float32Array; normalized: Float32Array; layers: string[] };

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

/** Per-group kept channels for one global threshold on normalised scores. */
function selectGlobal(groups: readonly TScoredGroup[], threshold: number, opts: TPruneChannelsOptions): Map<number, number[]> {
  const kept = new Map<number, number[]>();
  for (const g of groups) {
    let below = 0;
    for (const v of g.normalized) if (v < threshold) below++;
    const pruned = Math.min(below, Math.floor(g.size * opts.maxGroupRatio));
    const k = roundKeptChannels(g.size, g.size - pruned, opts.roundTo);
    if (k < g.size) kept.set(g.id, selectTop(g.scores, k));
  }
  return kept;
}

/**
 * Prunes channels of `model` (not modified) and returns the smaller model with a report. Throws BAD_INPUT for
 * unavailable criteria and UNPROCESSABLE when the pruned model does not keep the original output shapes.
 */
export async function pruneChannels(model: TModelProto, input: TPruneChannelsInput = {}): Promise<TPruneChannelsResult> {
  const { importanceStrategy: customImportance, feeds: givenFeeds, signal, ...rest } = input;
  const opts = ZPruneChannelsOptions.parse(rest);
  const importance = customImportance ?? createChannelImportance(opts.importance);
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
    scored.push({ id: g.id, size: g.size, scores, normalized: scores.map((v) => (mean > 0 ? v / mean : 0)), layers });
  }

  let kept = new Map<number, number[]>();
  let pruned: TModelProto;
  if (opts.scope === "layer") {
    for (const g of scored) {
      const k = roundKeptChannels(g.size, g.size * (1 - opts.ratio), opts.roundTo);
      if (k < g.size) kept.set(g.id, selectTop(g.scores, k));
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
