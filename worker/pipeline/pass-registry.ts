/**
 * The registry of pipeline passes. The runner looks a step's pass up here; engine passes plug in by adding one
 * entry (one file per pass family under worker/passes/), never by touching the runner.
 */
import type { z } from "zod";
import type { TPassName, TPipelineStep, TReport, ZModelMeasurement, ZProvenance } from "../../contracts";
import type { TDataSource } from "../data/data-source";
import type { TModelProto } from "../onnx/onnx-proto";
import { ANALYZE_PASS } from "../passes/analyze/analyze-pass";
import { CLUSTER_PASS } from "../passes/cluster/cluster-pass";
import { LOW_RANK_PASS } from "../passes/factorize/low-rank-pass";
import { FP16_PASS, INT4_WEIGHT_PASS, INT8_DYNAMIC_PASS, INT8_STATIC_PASS } from "./quantize-pass-handlers";
import { PRUNE_CHANNELS_PASS, PRUNE_MAGNITUDE_PASS, PRUNE_NM_PASS } from "../passes/prune/prune-passes";
import { DISTILL_PASS } from "../passes/distill/distill-pass";

export type TPassLogger = { info: (o: object, msg?: string) => void };

/** What a pass gets besides the model. */
export type TPassContext<TOptions> = {
  options: TOptions;
  signal: AbortSignal;
  /** Progress within this pass (0..1); the runner maps it onto the pipeline's overall progress. */
  reportProgress: (fraction: number, stage?: string) => void;
  logger?: TPassLogger;
  modelName: string;
  /** The uploaded model, untouched. */
  original: { model: TModelProto; bytes: Uint8Array };
  /** Bytes of the model this pass receives while it is still the original (saves re-encoding); else undefined. */
  modelBytes?: Uint8Array;
  /** True when an earlier step changed the model. */
  isTransformed: boolean;
  /** The user's calibration data, when given (passes that can use data but do not need it check this). */
  calibration?: TDataSource;
  /** Inputs generated from the signature of the model this pass receives, for passes that cannot run without data. */
  fallbackCalibration: TDataSource;
  /** onnxruntime intra-op threads for passes that run inference (calibration). */
  intraOpThreads?: number;
  /** A student model the caller resolved for `distill` (an uploaded model, the `studentModelId` option). */
  student?: { model: TModelProto; name: string };
};

/** What a pass returns: a new model (transforms), and/or report sections and warnings. */
export type TPassOutput = {
  /** The transformed model; omit for passes that only measure. */
  model?: TModelProto;
  warnings?: string[];
  /**
   * Report sections merged into report.json: `original`/`compressed` are merged field by field,
   * other keys (e.g. `quantization`, `calibration`) are set at the top level.
   */
  report?: TReportSections;
  /** What the pass did, for this step's row in report.steps (quantized nodes, factorized layers, ...). */
  stats?: Record<string, unknown>;
  /** Time spent in calibration inference inside the pass (reported apart from engine time). */
  calibrationMs?: number;
};

/** Report sections a pass may contribute; measurement and provenance objects may be partial. */
export type TReportSections = {
  original?: Partial<z.infer<typeof ZModelMeasurement>>;
  compressed?: Partial<z.infer<typeof ZModelMeasurement>>;
  inputs?: TReport["inputs"];
  fidelity?: TReport["fidelity"];
  provenance?: Partial<z.infer<typeof ZProvenance>>;
  [section: string]: unknown;
};

type TOptionsOf<N extends TPassName> = Extract<TPipelineStep, { pass: N }>["options"];

export type TPassHandler<N extends TPassName = TPassName> = {
  pass: N;
  /** Short stage label shown in the job's progress ("quantizing", "measuring latency", ...). */
  stage: string;
  /** Relative share of the pipeline's progress bar (analyze = 1). */
  progressWeight: number;
  run: (model: TModelProto, ctx: TPassContext<TOptionsOf<N>>) => Promise<TPassOutput>;
};

/** Erases the per-pass option type so handlers of different passes share one map. */
function register<N extends TPassName>(handler: TPassHandler<N>): [TPassName, TPassHandler] {
  return [handler.pass, handler as unknown as TPassHandler];
}

/** Every pass this worker can run. A pipeline step whose pass is missing here fails with a clear message. */
export const PASS_HANDLERS: ReadonlyMap<TPassName, TPassHandler> = new Map([
  register(ANALYZE_PASS),
  register(PRUNE_MAGNITUDE_PASS),
  register(PRUNE_NM_PASS),
  register(PRUNE_CHANNELS_PASS),
  register(INT8_DYNAMIC_PASS),
  register(INT8_STATIC_PASS),
  register(FP16_PASS),
  register(INT4_WEIGHT_PASS),
  register(LOW_RANK_PASS),
  register(CLUSTER_PASS),
  register(DISTILL_PASS),
]);
