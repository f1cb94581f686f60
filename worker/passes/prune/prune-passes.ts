/** Pipeline registry entries for the pruning passes (see worker/pipeline/pass-registry.ts). */
import type { TDataSource } from "../../data/data-source";
import type { TPassHandler } from "../../pipeline/pass-registry";
import type { TRuntimeTensor } from "../../runtime/ort";
import { pruneChannels } from "./prune-channels";
import { pruneMagnitude, pruneNm } from "./prune-magnitude";
import { optimizePrunedGraph } from "./optimize-graph";

/** Batches the Taylor criterion averages its gradients over (more add little: the ranking settles quickly). */
const TAYLOR_MAX_BATCHES = 8;

async function readCalibrationBatches(source: TDataSource, signal?: AbortSignal): Promise<Record<string, TRuntimeTensor>[]> {
  const out: Record<string, TRuntimeTensor>[] = [];
  for await (const batch of source.batches({ maxBatches: TAYLOR_MAX_BATCHES, signal })) {
    out.push(Object.fromEntries(Object.entries(batch.feeds).map(([k, t]) => [k, { type: t.dtype as TRuntimeTensor["type"], dims: t.dims, data: t.data }])));
    if (out.length >= TAYLOR_MAX_BATCHES) break;
  }
  return out;
}

/** `prune-magnitude`: unstructured sparsity stored sparse. */
export const PRUNE_MAGNITUDE_PASS: TPassHandler<"prune-magnitude"> = {
  pass: "prune-magnitude",
  stage: "pruning weights",
  progressWeight: 2,
  run: async (model, ctx) => {
    ctx.reportProgress(0, "zeroing the smallest weights");
    const r = pruneMagnitude(model, ctx.options);
    ctx.logger?.info({ sparsity: r.report.sparsity, size: r.report.size }, "prune-magnitude done");
    ctx.reportProgress(1);
    const stats = { sparsity: r.report.sparsity, prunedLayers: r.report.layers.length, skippedLayers: r.report.skipped.length, ...r.report.size };
    return { model: r.model, warnings: r.warnings, report: { pruning: r.report }, stats };
  },
};

/** `prune-nm`: N:M semi-structured sparsity. */
export const PRUNE_NM_PASS: TPassHandler<"prune-nm"> = {
  pass: "prune-nm",
  stage: "pruning weights (N:M)",
  progressWeight: 2,
  run: async (model, ctx) => {
    ctx.reportProgress(0, "applying the N:M pattern");
    const r = pruneNm(model, ctx.options);
    ctx.logger?.info({ sparsity: r.report.sparsity, qualified: r.report.layers.length }, "prune-nm done");
    ctx.reportProgress(1);
    const stats = { sparsity: r.report.sparsity, qualifiedLayers: r.report.layers.map((l) => l.node), skippedLayers: r.report.skipped.length };
    return { model: r.model, warnings: r.warnings, report: { pruning: r.report }, stats };
  },
};

/** `prune-channels`: structured channel pruning on the dependency graph. */
export const PRUNE_CHANNELS_PASS: TPassHandler<"prune-channels"> = {
  pass: "prune-channels",
  stage: "pruning channels",
  progressWeight: 4,
  run: async (model, ctx) => {
    ctx.reportProgress(0, "building the channel dependency graph");
    const source = ctx.calibration ?? ctx.fallbackCalibration;
    const calibration = ctx.options.importance === "taylor" ? await readCalibrationBatches(source, ctx.signal) : undefined;
    const r = await pruneChannels(model, {
      ...ctx.options,
      calibration: calibration?.length ? calibration : undefined,
      calibrationDescription: source.description,
      signal: ctx.signal,
    });
    ctx.logger?.info({ macs: r.report.macs, params: r.report.params }, "prune-channels done");
    const optimized = ctx.options.optimizeGraph ? optimizePrunedGraph(r.model) : undefined;
    ctx.reportProgress(1);
    const stats = {
      macsRatio: r.report.macs?.ratio,
      paramsBefore: r.report.params.before,
      paramsAfter: r.report.params.after,
      ...r.report.settings,
      ...(optimized ? { graphOptimization: optimized.stats } : {}),
    };
    const report = { pruning: optimized ? { ...r.report, graphOptimization: optimized.stats } : r.report };
    return { model: optimized?.model ?? r.model, warnings: [...r.warnings, ...(optimized?.warnings ?? [])], report, stats };
  },
};
