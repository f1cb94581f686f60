import type { TPipelineSpec } from "../../contracts/pipeline";
import type { TReport } from "../../contracts/report";
import type { TDataSource } from "../data/data-source";
import { createGeneratedDataSource } from "../data/generated-source";
import { decodeModel, encodeModel } from "../onnx/model-io";
import type { TModelProto } from "../onnx/onnx-proto";
import { throwIfAborted } from "../pipeline/abort";
import { buildComparisonReport } from "./build-comparison-report";
import { DEFAULT_SENSITIVITY_MAX_LAYERS } from "./layer-sensitivity";
import { runLocalStep } from "./local-steps";
import { createSensitivityProbe } from "./sensitivity-probes";

/**
 * A whole local compression run (`condense run`): the pipeline's steps through the passes' function APIs (with the
 * user's calibration data), then the comparison report on the evaluation data (the user's, or generated), with
 * per-layer sensitivity. No files, S3 or database here: the caller does IO.
 */

/** Seed offset for generated evaluation inputs, so they differ from generated calibration inputs (offset 0). */
export const GENERATED_EVAL_SEED_OFFSET = 1000;

export type TRunCompressionInput = {
  modelBytes: Uint8Array;
  pipeline: TPipelineSpec;
  /** Calibration data for passes that need it; generated inputs when absent (and the report says so). */
  calibration?: TDataSource;
  /** Evaluation data for fidelity/accuracy; generated inputs when absent. */
  evaluation?: TDataSource;
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

/** Share of the progress bar for the passes; the comparison report takes the rest. */
const PASSES_SHARE = 0.5;

/** Runs the pipeline locally and builds the comparison report. */
export async function runCompression(input: TRunCompressionInput): Promise<TRunCompressionResult> {
  const { signal } = input;
  const original = decodeModel(input.modelBytes);
  const generatedCalibration = createGeneratedDataSource(original, { seedOffset: 0, dimSizes: input.generatedDimSizes });
  const steps = input.pipeline.steps;
  let model: TModelProto = original;
  const warnings: string[] = [];
  const passes: Record<string, unknown>[] = [];
  let transformed = false;
  for (let i = 0; i < steps.length; i++) {
    throwIfAborted(signal);
    const step = steps[i];
    input.reportProgress({ stage: `${step.pass} (step ${i + 1}/${steps.length})`, progress: (PASSES_SHARE * i) / steps.length });
    const t0 = performance.now();
    const r = await runLocalStep(model, step, {
      calibration: input.calibration,
      fallbackCalibration: createGeneratedDataSource(model, { seedOffset: 0, dimSizes: input.generatedDimSizes }),
      intraOpThreads: input.intraOpThreads,
      signal,
    });
    if (r.model !== model) transformed = true;
    model = r.model;
    warnings.push(...r.warnings);
    passes.push({ pass: step.pass, wallMs: Math.round(performance.now() - t0), calibrationMs: Math.round(r.calibrationMs), stats: r.stats });
  }
  input.reportProgress({ stage: "encoding the compressed model", progress: PASSES_SHARE });
  const compressedBytes = transformed ? encodeModel(model) : undefined;
  const evaluation = input.evaluation ?? createGeneratedDataSource(original, { seedOffset: GENERATED_EVAL_SEED_OFFSET, dimSizes: input.generatedDimSizes });
  const maxLayers = input.sensitivityMaxLayers ?? DEFAULT_SENSITIVITY_MAX_LAYERS;
  const progress = (stage: string, fraction: number) =>
    input.reportProgress({ stage, progress: PASSES_SHARE + (1 - PASSES_SHARE) * fraction });
  const probe =
    compressedBytes && maxLayers > 0
      ? await createSensitivityProbe(steps, { model: original, calibration: input.calibration ?? generatedCalibration, signal, intraOpThreads: input.intraOpThreads })
      : undefined;
  const calibrationUsed = input.calibration ?? generatedCalibration;
  const report = await buildComparisonReport({
    original: { bytes: input.modelBytes, model: original },
    compressed: compressedBytes ? { bytes: compressedBytes, model } : undefined,
    pipeline: input.pipeline,
    data: evaluation,
    evalMaxBatches: input.evalMaxBatches,
    latency: { runs: input.latencyRuns ?? 20, warmupRuns: 3 },
    intraOpThreads: input.intraOpThreads,
    sensitivity: probe ? { ...probe, maxLayers } : undefined,
    warnings,
    extra: {
      passes,
      ...(steps.some((s) => s.pass === "int8-static" || s.pass === "int4-weight")
        ? { calibration: { source: calibrationUsed.source, description: calibrationUsed.description } }
        : {}),
    },
    signal,
    onProgress: progress,
  });
  return { compressedBytes, report };
}
