/**
 * The pipeline runner shared by platform jobs, `condense run` and the bench: decodes the model, runs each step's
 * pass from the registry (with calibration data), records each transforming step's effect (size, latency, fidelity
 * vs the original) in report.steps, and builds the comparison report (fidelity, interleaved latency, per-layer
 * sensitivity) for the final model. It never touches files, S3 or the database: callers do IO around it.
 */
import { createHash } from "node:crypto";
import { AppError } from "../../contracts/app-error";
import type { TPipelineSpec, TPipelineStep } from "../../contracts/pipeline";
import { ZReport, type TReport, type TStepReport } from "../../contracts/report";
import type { TDataSource } from "../data/data-source";
import { createGeneratedDataSource } from "../data/generated-source";
import type { THostFeeds, THostTensor } from "../data/host-tensor";
import { buildComparisonReport } from "../evaluate/build-comparison-report";
import { FidelityAccumulator, summarizeFidelity } from "../evaluate/fidelity";
import { DEFAULT_SENSITIVITY_MAX_LAYERS } from "../evaluate/layer-sensitivity";
import { measureLatencyInterleaved } from "../evaluate/measure-latency";
import { adaptFeedsToInputs, runOnHostFeeds, toRuntimeFeeds } from "../evaluate/run-feeds";
import { createSensitivityProbe } from "../evaluate/sensitivity-probes";
import { decodeModel, encodeModel } from "../onnx/model-io";
import type { TModelProto } from "../onnx/onnx-proto";
import { summarizeModel } from "../onnx/tensor-info";
import { analyzeModel } from "../passes/analyze/analyze-model";
import { createSessionForModel } from "../passes/analyze/analyze-pass";
import { createInferenceSession, getRuntimeInfo, type TInferenceSession } from "../runtime/ort";
import { throwIfAborted } from "./abort";
import { PASS_HANDLERS, type TPassLogger, type TReportSections } from "./pass-registry";

export { isAbortError, PipelineAbortError } from "./abort";

export type TPipelineArtifact = { name: string; contentType: string; bytes: Uint8Array };
export type TPipelineProgress = { stage: string; progress: number }; // progress 0..1 over the whole pipeline

/** Seed offset for generated evaluation inputs, so they differ from generated calibration inputs (offset 0). */
export const GENERATED_EVAL_SEED_OFFSET = 1000;

/** Evaluation batches behind each intermediate step's fidelity: a quick look, the final model gets the full report. */
const STEP_EVAL_BATCHES = 2;
const STEP_LATENCY = { runs: 10, warmupRuns: 2 };

/** Passes that have a per-layer sensitivity probe (worker/evaluate/sensitivity-probes.ts). */
const PROBED_PASSES: ReadonlySet<string> = new Set(["int8-static", "int8-dynamic", "int4-weight"]);

/** Report sections the runner owns; every other section a pass returns (pruning, lowRank, ...) is copied as is. */
const RUNNER_SECTIONS: ReadonlySet<string> = new Set(["original", "compressed", "inputs", "fidelity", "provenance", "comparison", "warnings"]);

/** Progress shares of the runner's own work (the passes share the rest by their weights). */
const PARSE_SHARE = 0.05;
const EVALUATE_SHARE = 0.25;
const ENCODE_SHARE = 0.05;

export type TRunPipelineInput = {
  modelBytes: Uint8Array;
  modelName: string;
  pipeline: TPipelineSpec;
  signal: AbortSignal;
  reportProgress: (p: TPipelineProgress) => void;
  logger?: TPassLogger;
  /** The user's calibration data; passes that need data fall back to generated inputs (and the report says so). */
  calibration?: TDataSource;
  /** Data used instead of inputs generated from the signature when no calibration is given (e.g. the bench's synthetic audio). */
  fallbackCalibration?: TDataSource;
  /** The user's evaluation data for fidelity/accuracy; generated inputs when absent. */
  evaluation?: TDataSource;
  /** Sizes for symbolic dims of generated inputs, by dim name (e.g. { "height": 48 }). */
  generatedDimSizes?: Record<string, number>;
  /**
   * SHA-256 (hex) of `modelBytes` when the caller already has it (the platform records it when an upload is
   * validated), so the runner does not hash the upload again: about 0.3 s per 300 MB.
   */
  modelSha256?: string;
  /** An uploaded student for `distill` steps (the worker resolves the `studentModelId` option; `condense run --student`). */
  studentModel?: { bytes: Uint8Array; name: string };
  /** Cap on layers in the sensitivity table; 0 disables it (default DEFAULT_SENSITIVITY_MAX_LAYERS). */
  sensitivityMaxLayers?: number;
  /** Evaluation batches for the final fidelity (default 16). */
  evalMaxBatches?: number;
  latencyRuns?: number;
  intraOpThreads?: number;
  /**
   * false: skip every measurement after the passes (step rows carry sizes and timings only), for callers that
   * measure themselves, e.g. the bench, which reads peak memory before evaluation.
   */
  evaluate?: boolean;
};

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** File name stem for artifacts: "model.onnx" → "model". */
function stemOf(modelName: string): string {
  const base = modelName.split(/[\\/]/).pop() || "model";
  return base.replace(/\.onnx$/i, "") || "model";
}

function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function mergeSections(report: TReport, sections: TReportSections | undefined): void {
  if (!sections) return;
  for (const [key, value] of Object.entries(sections)) {
    if (value === undefined) continue;
    const current = (report as Record<string, unknown>)[key];
    if ((key === "original" || key === "compressed" || key === "provenance") && current && typeof current === "object") {
      Object.assign(current, value);
    } else {
      (report as Record<string, unknown>)[key] = value;
    }
  }
}

/**
 * Quick measurements of intermediate models against the original on a few evaluation batches. The original's
 * session and outputs are created on first use and kept for the following steps.
 */
class StepProbe {
  private original?: { session: TInferenceSession; batches: { feeds: THostFeeds; outputs: Record<string, THostTensor> }[] };

  constructor(
    private readonly originalBytes: Uint8Array,
    private readonly data: TDataSource,
    private readonly intraOpThreads: number | undefined,
    private readonly signal: AbortSignal,
  ) {}

  private async ensureOriginal() {
    if (this.original) return this.original;
    const session = await createInferenceSession(this.originalBytes, { intraOpThreads: this.intraOpThreads });
    const batches: { feeds: THostFeeds; outputs: Record<string, THostTensor> }[] = [];
    this.original = { session, batches };
    for await (const b of this.data.batches({ maxBatches: STEP_EVAL_BATCHES, signal: this.signal })) {
      batches.push({ feeds: b.feeds, outputs: await runOnHostFeeds(session, b.feeds) });
    }
    return this.original;
  }

  /** Fidelity and interleaved latency of `model` (encoded as `bytes`) vs the original. */
  async measure(model: TModelProto, bytes: Uint8Array): Promise<Partial<TStepReport>> {
    const orig = await this.ensureOriginal();
    if (orig.batches.length === 0) return {};
    const session = await createSessionForModel(bytes, "the model after this step");
    try {
      const inputs = summarizeModel(model).inputs;
      const acc = new FidelityAccumulator();
      let samples = 0;
      for (const b of orig.batches) {
        throwIfAborted(this.signal);
        acc.add(b.outputs, await runOnHostFeeds(session, adaptFeedsToInputs(b.feeds, inputs)));
        samples += b.feeds[Object.keys(b.feeds)[0]]?.dims[0] ?? 1;
      }
      const worst = summarizeFidelity(acc.results());
      const first = orig.batches[0].feeds;
      const [la, lb] = await measureLatencyInterleaved([orig.session, session], [toRuntimeFeeds(first), toRuntimeFeeds(adaptFeedsToInputs(first, inputs))], {
        ...STEP_LATENCY,
        signal: this.signal,
      });
      return {
        cosine: worst.cosine,
        snrDb: worst.snrDb,
        samples,
        latencyMsP50: roundTo(lb.p50, 4),
        latencyRatioP50: la.p50 > 0 ? roundTo(lb.p50 / la.p50, 4) : undefined,
      };
    } finally {
      await session.release();
    }
  }

  async release(): Promise<void> {
    await this.original?.session.release();
  }
}

/**
 * Runs a pipeline on a model. Checks `signal` between steps and inside long loops; cancellation throws an error
 * for which `isAbortError(err)` is true. Bad models throw AppError UNPROCESSABLE with a user message.
 */
export async function runPipeline(input: TRunPipelineInput): Promise<{ artifacts: TPipelineArtifact[]; report: TReport }> {
  const { modelBytes, pipeline, signal, logger } = input;
  const evaluate = input.evaluate !== false;
  let lastProgress = 0;
  // Progress only moves forward, so a UI never sees it jump back between stages.
  const progress = (stage: string, value: number) => {
    lastProgress = Math.max(lastProgress, Math.min(1, value));
    input.reportProgress({ stage, progress: lastProgress });
  };

  throwIfAborted(signal);
  progress("parsing the model", 0);
  const original = decodeModel(modelBytes);
  const student = input.studentModel ? { model: decodeModel(input.studentModel.bytes), name: input.studentModel.name } : undefined;
  let report: TReport = {
    schemaVersion: 1,
    createdAt: new Date().toISOString(),
    pipeline,
    original: { sizeBytes: modelBytes.byteLength, sha256: input.modelSha256 ?? sha256Hex(modelBytes), analysis: analyzeModel(original) },
    provenance: getRuntimeInfo(),
    warnings: [],
  };
  progress("parsing the model", PARSE_SHARE);

  const handlers = pipeline.steps.map((step, i) => {
    const handler = PASS_HANDLERS.get(step.pass);
    if (!handler) {
      throw new AppError("BAD_INPUT", {
        userMessage: `steps[${i}]: the pass "${step.pass}" is not available on this worker; available: ${[...PASS_HANDLERS.keys()].join(", ")}`,
      });
    }
    return handler;
  });
  const transformingCount = handlers.filter((h) => h.pass !== "analyze").length;
  const totalWeight = handlers.reduce((a, h) => a + h.progressWeight, 0);
  const stepsShare = 1 - PARSE_SHARE - ENCODE_SHARE - (transformingCount > 0 && evaluate ? EVALUATE_SHARE : 0);
  const evaluation =
    input.evaluation ?? createGeneratedDataSource(original, { seedOffset: GENERATED_EVAL_SEED_OFFSET, dimSizes: input.generatedDimSizes });
  const stepProbe = new StepProbe(modelBytes, evaluation, input.intraOpThreads, signal);

  let model: TModelProto = original;
  let transformed = false;
  let done = 0;
  const stepRows: TStepReport[] = [];
  /** Input of the first step that has a sensitivity probe: layers are probed on the model that step received. */
  let probeInput: { step: TPipelineStep; model: TModelProto } | undefined;
  const sections: TReportSections = {};
  let lastTransformingRow: TStepReport | undefined;
  let lastEncoded: Uint8Array | undefined;

  try {
    for (let i = 0; i < pipeline.steps.length; i++) {
      throwIfAborted(signal);
      const step = pipeline.steps[i];
      const handler = handlers[i];
      const start = PARSE_SHARE + (stepsShare * done) / totalWeight;
      const span = (stepsShare * handler.progressWeight) / totalWeight;
      const label = `${handler.stage} (step ${i + 1}/${pipeline.steps.length})`;
      progress(label, start);
      logger?.info({ step: i, pass: step.pass }, "pipeline step started");
      if (!probeInput && PROBED_PASSES.has(step.pass)) probeInput = { step, model };
      const t0 = performance.now();
      const out = await handler.run(model, {
        options: step.options,
        signal,
        reportProgress: (fraction, stage) => progress(stage ? `${handler.stage}: ${stage}` : label, start + span * fraction),
        logger,
        modelName: input.modelName,
        original: { model: original, bytes: modelBytes },
        modelBytes: transformed ? undefined : modelBytes,
        isTransformed: transformed,
        calibration: input.calibration,
        fallbackCalibration: input.fallbackCalibration ?? createGeneratedDataSource(model, { seedOffset: 0, dimSizes: input.generatedDimSizes }),
        intraOpThreads: input.intraOpThreads,
        student: step.pass === "distill" ? student : undefined,
      });
      throwIfAborted(signal);
      const wallMs = Math.round(performance.now() - t0);
      const row: TStepReport = {
        index: i,
        pass: step.pass,
        transformed: Boolean(out.model),
        wallMs,
        ...(out.calibrationMs !== undefined ? { calibrationMs: Math.round(out.calibrationMs) } : {}),
        ...(out.warnings?.length ? { warnings: out.warnings } : {}),
        ...(out.stats ? { stats: out.stats } : {}),
      };
      stepRows.push(row);
      if (out.model) {
        model = out.model;
        transformed = true;
        lastTransformingRow = row;
        // Sizes for every transforming step; fidelity/latency for all but the last (the final report has those).
        lastEncoded = encodeModel(model);
        row.sizeBytes = lastEncoded.byteLength;
        row.sizeRatio = roundTo(lastEncoded.byteLength / Math.max(1, modelBytes.byteLength), 4);
        const isLastTransforming = handlers.slice(i + 1).every((h) => h.pass === "analyze");
        if (evaluate && !isLastTransforming) {
          progress(`${handler.stage}: measuring this step's effect`, start + span * 0.95);
          try {
            Object.assign(row, await stepProbe.measure(model, lastEncoded));
          } catch (err) {
            if (signal.aborted) throw err;
            row.warnings = [...(row.warnings ?? []), `this step's effect could not be measured: ${(err as Error).message.split("\n")[0]}`];
          }
        }
      }
      if (out.warnings) report.warnings.push(...out.warnings);
      mergeSections(report, out.report);
      Object.assign(sections, out.report ?? {});
      logger?.info({ step: i, pass: step.pass, wallMs }, "pipeline step finished");
      done += handler.progressWeight;
    }
  } finally {
    await stepProbe.release();
  }

  const artifacts: TPipelineArtifact[] = [];
  if (transformed) {
    progress("encoding the compressed model", 1 - ENCODE_SHARE - (evaluate ? EVALUATE_SHARE : 0));
    const compressedBytes = lastEncoded ?? encodeModel(model);
    throwIfAborted(signal);
    if (evaluate) {
      report = await buildFinalReport(input, report, sections, { original, compressed: model, compressedBytes, evaluation, probeInput }, (stage, f) =>
        progress(stage, 1 - EVALUATE_SHARE + EVALUATE_SHARE * f),
      );
      if (lastTransformingRow) {
        lastTransformingRow.latencyMsP50 = report.compressed?.latencyMs?.p50;
        lastTransformingRow.latencyRatioP50 = report.comparison?.latencyRatioP50;
        lastTransformingRow.cosine = report.fidelity?.cosine;
        lastTransformingRow.snrDb = report.fidelity?.snrDb;
        lastTransformingRow.samples = report.fidelity?.samples;
      }
    } else {
      report.compressed = { ...(report.compressed ?? {}), sizeBytes: compressedBytes.byteLength, sha256: sha256Hex(compressedBytes), analysis: analyzeModel(model) };
      report.comparison = { sizeRatio: roundTo(compressedBytes.byteLength / Math.max(1, modelBytes.byteLength), 4) };
    }
    artifacts.push({ name: `${stemOf(input.modelName)}.compressed.onnx`, contentType: "application/octet-stream", bytes: compressedBytes });
  }
  report.steps = stepRows;

  throwIfAborted(signal);
  const checked = ZReport.safeParse(report);
  if (!checked.success) {
    throw new AppError("INTERNAL", {
      userMessage: "the report could not be produced",
      message: `report failed validation: ${checked.error.message}`,
    });
  }
  artifacts.push({
    name: "report.json",
    contentType: "application/json",
    bytes: new TextEncoder().encode(JSON.stringify(report, null, 2)),
  });
  progress("done", 1);
  return { artifacts, report };
}

/**
 * The comparison report for the final model (buildComparisonReport), with the passes' own sections and warnings
 * kept, and per-layer sensitivity from the first step that has a probe.
 */
async function buildFinalReport(
  input: TRunPipelineInput,
  passReport: TReport,
  sections: TReportSections,
  models: { original: TModelProto; compressed: TModelProto; compressedBytes: Uint8Array; evaluation: TDataSource; probeInput?: { step: TPipelineStep; model: TModelProto } },
  onProgress: (stage: string, fraction: number) => void,
): Promise<TReport> {
  const maxLayers = input.sensitivityMaxLayers ?? DEFAULT_SENSITIVITY_MAX_LAYERS;
  let sensitivity: Parameters<typeof buildComparisonReport>[0]["sensitivity"];
  if (models.probeInput && maxLayers > 0) {
    const probeModel = models.probeInput.model;
    try {
      const probe = await createSensitivityProbe([models.probeInput.step], {
        model: probeModel,
        calibration: input.calibration ?? createGeneratedDataSource(probeModel, { seedOffset: 0, dimSizes: input.generatedDimSizes }),
        intraOpThreads: input.intraOpThreads,
        signal: input.signal,
      });
      if (probe) sensitivity = { ...probe, model: probeModel, maxLayers };
    } catch (err) {
      if (input.signal.aborted) throw err;
      passReport.warnings.push(`per-layer sensitivity could not be measured: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(sections)) if (!RUNNER_SECTIONS.has(key) && value !== undefined) extra[key] = value;
  try {
    return await buildComparisonReport({
      original: { bytes: input.modelBytes, model: models.original },
      compressed: { bytes: models.compressedBytes, model: models.compressed },
      pipeline: input.pipeline,
      data: models.evaluation,
      evalMaxBatches: input.evalMaxBatches,
      latency: { runs: input.latencyRuns ?? 20, warmupRuns: 3 },
      intraOpThreads: input.intraOpThreads,
      sensitivity,
      warnings: passReport.warnings,
      extra,
      signal: input.signal,
      onProgress,
    });
  } catch (err) {
    if (err instanceof AppError || input.signal.aborted) throw err;
    // A model the runtime cannot load or run is the pass's fault, not the user's: say which and keep the message.
    throw new AppError("UNPROCESSABLE", {
      userMessage: `the compressed model could not be evaluated in onnxruntime: ${(err as Error).message.split("\n")[0]}`,
      cause: err,
    });
  }
}
