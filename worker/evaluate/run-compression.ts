import type { TPipelineSpec } from "../../contracts/pipeline";
import type { TReport } from "../../contracts/report";
import type { TDataSource } from "../data/data-source";
import { runPipeline } from "../pipeline/run-pipeline";

/**
 * A whole local compression run (`condense run`): the same runner as platform jobs (worker/pipeline/run-pipeline),
 * with the user's calibration and evaluation data, returning the compressed model bytes and the comparison report.
 * No files, S3 or database here: the caller does IO.
 */

export { GENERATED_EVAL_SEED_OFFSET } from "../pipeline/run-pipeline";

export type TRunCompressionInput = {
  modelBytes: Uint8Array;
  /** File name shown in artifacts and logs (default "model.onnx"). */
  modelName?: string;
  pipeline: TPipelineSpec;
  /** Calibration data for passes that need it; generated inputs when absent (and the report says so). */
  calibration?: TDataSource;
  /** Evaluation data for fidelity/accuracy; generated inputs when absent. */
  evaluation?: TDataSource;
  /** A student model for `distill` steps, trained instead of the output of the steps before it. */
  studentModel?: { bytes: Uint8Array; name: string };
  /** Sizes for symbolic dims of generated inputs, by dim name (e.g. { "height": 48 }). */
  generatedDimSizes?: Record<string, number>;
  /** Cap on layers in the sensitivity table; 0 disables it (default DEFAULT_SENSITIVITY_MAX_LAYERS). */
  sensitivityMaxLayers?: number;
  evalMaxBatches?: number;
  latencyRuns?: number;
  intraOpThreads?: number;
  signal: AbortSignal;
  reportProgress: (p: { stage: string; progress: number }) => void;
};

export type TRunCompressionResult = {
  /** The compressed model; absent when no step transformed it (analyze-only pipelines). */
  compressedBytes?: Uint8Array;
  report: TReport;
};

/** Runs the pipeline locally and returns the compressed model and its report. */
export async function runCompression(input: TRunCompressionInput): Promise<TRunCompressionResult> {
  const { artifacts, report } = await runPipeline({ ...input, modelName: input.modelName ?? "model.onnx" });
  const compressed = artifacts.find((a) => a.name.endsWith(".compressed.onnx"));
  return { compressedBytes: compressed?.bytes, report };
}
