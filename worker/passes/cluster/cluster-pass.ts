/** Pipeline registry entry for the `cluster` pass (see worker/pipeline/pass-registry.ts). */
import type { TPassHandler } from "../../pipeline/pass-registry";
import { clusterWeights } from "./cluster";

/** `cluster`: k-means weight sharing with in-graph decoding (4-bit packed indices at k ≤ 16). */
export const CLUSTER_PASS: TPassHandler<"cluster"> = {
  pass: "cluster",
  stage: "clustering weights",
  progressWeight: 2,
  run: async (model, ctx) => {
    const r = clusterWeights(model, ctx.options, { signal: ctx.signal, onProgress: (f) => ctx.reportProgress(f) });
    ctx.logger?.info({ layers: r.report.layers.length, weightBytes: r.report.weightBytes }, "cluster done");
    return {
      model: r.model,
      warnings: r.warnings,
      stats: {
        clusteredWeights: r.report.layers.length,
        weightBytesBefore: r.report.weightBytes.before,
        weightBytesAfter: r.report.weightBytes.after,
        batchNormsFolded: r.report.batchNormsFolded,
      },
      report: { cluster: r.report },
    };
  },
};
