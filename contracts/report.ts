import { z } from "zod";

/**
 * report.json: what every run (local `condense run` or a platform job) writes.
 * Field names listed in the engine issue (original.sizeBytes, compressed.latencyMs.p50, fidelity.cosine, ...)
 * are a public contract: tools rely on them. Add fields, never rename.
 */

export const ZTensorInfo = z.object({
  name: z.string(),
  /** ONNX element type name, e.g. "float32", "int64". */
  elemType: z.string(),
  /** Dimensions; symbolic ones as their name (e.g. "batch"), unknown as null. Absent when rank is unknown. */
  shape: z.array(z.union([z.number(), z.string(), z.null()])).optional(),
});
export type TTensorInfo = z.infer<typeof ZTensorInfo>;

export const ZParameterStats = z.object({
  /** Number of scalar weights (initializers + Constant nodes, subgraphs included). */
  count: z.number(),
  /** Their storage in bytes. */
  bytes: z.number(),
  byDtype: z.record(z.string(), z.object({ count: z.number(), bytes: z.number() })),
});

export const ZModelAnalysis = z.object({
  irVersion: z.number(),
  producer: z.string(),
  opsets: z.array(z.object({ domain: z.string(), version: z.number() })),
  inputs: z.array(ZTensorInfo),
  outputs: z.array(ZTensorInfo),
  nodeCount: z.number(),
  /** op type (prefixed with its domain when not the default one) -> node count, subgraphs included. */
  opHistogram: z.record(z.string(), z.number()),
  parameters: ZParameterStats,
});
export type TModelAnalysis = z.infer<typeof ZModelAnalysis>;

export const ZLatency = z.object({ p50: z.number(), p95: z.number(), runs: z.number() });

export const ZModelMeasurement = z.object({
  sizeBytes: z.number(),
  sha256: z.string().optional(),
  analysis: ZModelAnalysis.optional(),
  latencyMs: ZLatency.optional(),
});

/** Where and with what the numbers were measured. */
export const ZProvenance = z.object({
  onnxruntimeVersion: z.string(),
  executionProvider: z.string(),
  cpu: z.string(),
  cpuCount: z.number(),
  nodeVersion: z.string(),
  intraOpThreads: z.number(),
  /** Opsets of the model the numbers were measured on. */
  opsets: z.array(z.object({ domain: z.string(), version: z.number() })).optional(),
  arch: z.string().optional(),
  platform: z.string().optional(),
  defaultExecutionProvider: z.string().optional(),
  totalMemoryBytes: z.number().optional(),
  gpus: z.array(z.string()).optional(),
});

/** Fidelity of one output of the compressed model against the original on the same inputs. */
export const ZOutputFidelity = z.object({
  name: z.string(),
  /** Elements compared over all batches. */
  elements: z.number(),
  cosine: z.number(),
  /** Lowest per-sample cosine. */
  cosineMin: z.number(),
  mse: z.number(),
  maxAbsError: z.number(),
  /** Capped at ±200 dB (identical outputs). */
  snrDb: z.number(),
  /** Share of rows whose argmax agrees; only for outputs that look like class scores ([N, C] or [N, T, C]). */
  top1Agreement: z.number().optional(),
  /** Elements that are NaN/Inf in the compressed output but finite in the original. */
  nonFiniteCount: z.number(),
});
export type TOutputFidelity = z.infer<typeof ZOutputFidelity>;

/** One row of the per-layer sensitivity table: only this node quantized, everything else float. */
export const ZSensitivityEntry = z.object({
  node: z.string(),
  opType: z.string(),
  /** Worst-output cosine with only this node quantized. */
  cosine: z.number(),
  /** Worst-output SNR in dB with only this node quantized. */
  snrDb: z.number(),
});
export type TSensitivityEntry = z.infer<typeof ZSensitivityEntry>;

/** Top-1 accuracy against user labels (only when labels were supplied). */
export const ZAccuracy = z.object({
  /** Output whose argmax is the prediction. */
  output: z.string(),
  samples: z.number(),
  original: z.object({ top1: z.number() }),
  compressed: z.object({ top1: z.number() }),
});

/** What a pruning pass did (report.pruning). MACs are counted for `macs.inputShapes`. */
export const ZPruningReport = z.object({
  method: z.enum(["magnitude", "nm", "channels"]),
  params: z.object({ before: z.number(), after: z.number() }),
  macs: z
    .object({ before: z.number(), after: z.number(), ratio: z.number(), inputShapes: z.record(z.string(), z.array(z.number())) })
    .optional(),
  /** Overall share of zeros in the pruned weights (magnitude, N:M). */
  sparsity: z.number().optional(),
  /** Per pruned layer (magnitude/N:M) or per channel group (channels: `node` lists its layers). */
  layers: z.array(
    z.object({
      node: z.string(),
      opType: z.string().optional(),
      sparsity: z.number().optional(),
      channelsBefore: z.number().optional(),
      channelsAfter: z.number().optional(),
      /** How the weight is stored: dense, sparse-initializer or bitmask. */
      storage: z.string().optional(),
    }),
  ),
  /** Layers or groups left alone, with the reason. */
  skipped: z.array(z.object({ node: z.string(), reason: z.string() })),
  /** Sizes of the encoded model: pruned storage vs the same model stored dense, raw and gzip. */
  size: z
    .object({ sizeBytes: z.number(), gzipSizeBytes: z.number(), denseSizeBytes: z.number(), denseGzipSizeBytes: z.number() })
    .optional(),
  /** Options actually applied (importance, scope, N:M pattern, ...). */
  settings: z.record(z.string(), z.unknown()).optional(),
  /** Exact rewrites applied after channel pruning (`optimizeGraph`). */
  graphOptimization: z
    .object({ batchNormsFolded: z.number(), affineFolded: z.number(), hardSwishFused: z.number(), opsetUpgraded: z.boolean() })
    .optional(),
});
export type TPruningReport = z.infer<typeof ZPruningReport>;

/** One row of report.steps: the model after this step vs the original, so users see which step cost what. */
export const ZStepReport = z.object({
  /** Index in pipeline.steps. */
  index: z.number(),
  pass: z.string(),
  /** False for steps that only measure (analyze): then the numbers are the previous model's. */
  transformed: z.boolean(),
  wallMs: z.number(),
  /** Calibration inference inside the step (part of wallMs). */
  calibrationMs: z.number().optional(),
  sizeBytes: z.number().optional(),
  /** sizeBytes / original size. */
  sizeRatio: z.number().optional(),
  latencyMsP50: z.number().optional(),
  /** p50 latency / original p50, measured interleaved with the original. */
  latencyRatioP50: z.number().optional(),
  /** Worst-output cosine and SNR vs the original on a few evaluation batches. */
  cosine: z.number().optional(),
  snrDb: z.number().optional(),
  /** Evaluation samples behind cosine/snrDb. */
  samples: z.number().optional(),
  warnings: z.array(z.string()).optional(),
  /** What the pass did (quantized nodes, factorized layers, ...). */
  stats: z.record(z.string(), z.unknown()).optional(),
});
export type TStepReport = z.infer<typeof ZStepReport>;

export const ZReport = z.object({
  schemaVersion: z.literal(1),
  createdAt: z.string(),
  pipeline: z.unknown(),
  original: ZModelMeasurement,
  compressed: ZModelMeasurement.optional(),
  /** How inputs were obtained (generated from the signature, or the user's data). */
  inputs: z.object({ source: z.enum(["generated", "user"]), description: z.string() }).optional(),
  fidelity: z
    .object({
      cosine: z.number(),
      snrDb: z.number(),
      mse: z.number().optional(),
      maxAbsError: z.number().optional(),
      /** Samples the fidelity was measured on. */
      samples: z.number().optional(),
      /** Per-output details; `cosine`/`snrDb` above are the worst output's. */
      outputs: z.array(ZOutputFidelity).optional(),
    })
    .passthrough()
    .optional(),
  /** compressed / original, for quick reading (latency ratios measured interleaved in the same process). */
  comparison: z
    .object({ sizeRatio: z.number(), latencyRatioP50: z.number().optional(), latencyRatioP95: z.number().optional() })
    .optional(),
  accuracy: ZAccuracy.optional(),
  /** Per-layer sensitivity, most damaging layer first. */
  sensitivity: z.array(ZSensitivityEntry).optional(),
  /** Present when a pruning pass ran. */
  pruning: ZPruningReport.optional(),
  /** Per pipeline step: size, latency and fidelity after it (multi-step pipelines show which step cost what). */
  steps: z.array(ZStepReport).optional(),
  provenance: ZProvenance.optional(),
  warnings: z.array(z.string()),
}).passthrough();
export type TReport = z.infer<typeof ZReport>;
