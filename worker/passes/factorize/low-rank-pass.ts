/** Pipeline registry entry for the `low-rank` pass (see worker/pipeline/pass-registry.ts). */
import type { TPassHandler } from "../../pipeline/pass-registry";
import { factorizeLowRank } from "./low-rank";

/** `low-rank`: truncated-SVD factorization of MatMul/Gemm weights, Tucker-2 (or spatial SVD) of Conv weights. */
export const LOW_RANK_PASS: TPassHandler<"low-rank"> = {
  pass: "low-rank",
  stage: "factorizing weights (low rank)",
  progressWeight: 3,
  run: async (model, ctx) => {
    const r = await factorizeLowRank(model, ctx.options, { signal: ctx.signal, onProgress: (f) => ctx.reportProgress(f) });
    ctx.logger?.info({ layers: r.report.layers.length, params: r.report.params }, "low-rank done");
    return {
      // The copy is returned even when nothing was factorized, so every run writes a model (the warning explains).
      model: r.model,
      warnings: r.warnings,
      stats: {
        factorizedLayers: r.report.layers.length,
        tucker2Layers: r.report.layers.filter((l) => l.method === "tucker2").length,
        paramsBefore: r.report.params.before,
        paramsAfter: r.report.params.after,
      },
      report: { lowRank: r.report },
    };
  },
};
