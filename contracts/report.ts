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
});

export const ZReport = z.object({
  schemaVersion: z.literal(1),
  createdAt: z.string(),
  pipeline: z.unknown(),
  original: ZModelMeasurement,
  compressed: ZModelMeasurement.optional(),
  /** How inputs were obtained (generated from the signature, or the user's data). */
  inputs: z.object({ source: z.enum(["generated", "user"]), description: z.string() }).optional(),
  fidelity: z
    .object({ cosine: z.number(), snrDb: z.number(), mse: z.number().optional(), maxAbsError: z.number().optional() })
    .passthrough()
    .optional(),
  provenance: ZProvenance.optional(),
  warnings: z.array(z.string()),
}).passthrough();
export type TReport = z.infer<typeof ZReport>;
