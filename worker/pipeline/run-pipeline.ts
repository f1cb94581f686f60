/**
 * The pipeline runner: decodes the model, runs each step's pass from the registry, and returns the artifacts
 * (report.json, plus the compressed model when a pass transformed it) and the report. It never touches files, S3
 * or the database: the worker and the CLI do IO around it.
 */
import { createHash } from "node:crypto";
import { AppError } from "../../contracts/app-error";
import type { TPipelineSpec } from "../../contracts/pipeline";
import { ZReport, type TReport } from "../../contracts/report";
import { describeGeneratedInputs, generateInputs, generateRunnableInputs } from "../data/generate-inputs";
import { measureLatencyInterleaved } from "../evaluate/measure-latency";
import { decodeModel, encodeModel } from "../onnx/model-io";
import type { TModelProto } from "../onnx/onnx-proto";
import { analyzeModel } from "../passes/analyze/analyze-model";
import { createSessionForModel } from "../passes/analyze/analyze-pass";
import { getRuntimeInfo } from "../runtime/ort";
import { throwIfAborted } from "./abort";
import { PASS_HANDLERS, type TPassLogger, type TReportSections } from "./pass-registry";

export { isAbortError, PipelineAbortError } from "./abort";

export type TPipelineArtifact = { name: string; contentType: string; bytes: Uint8Array };
export type TPipelineProgress = { stage: string; progress: number }; // progress 0..1 over the whole pipeline

/** Progress shares of the runner's own work (the passes share the rest by their weights). */
const PARSE_SHARE = 0.05;
const EVALUATE_SHARE = 0.2;
const ENCODE_SHARE = 0.05;

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** File name stem for artifacts: "model.onnx" → "model". */
function stemOf(modelName: string): string {
  const base = modelName.split(/[\\/]/).pop() || "model";
  return base.replace(/\.onnx$/i, "") || "model";
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
 * Runs a pipeline on a model. Checks `signal` between steps and inside long loops; cancellation throws an error
 * for which `isAbortError(err)` is true. Bad models throw AppError UNPROCESSABLE with a user message.
 */
export async function runPipeline(input: {
  modelBytes: Uint8Array;
  modelName: string;
  pipeline: TPipelineSpec;
  signal: AbortSignal;
  reportProgress: (p: TPipelineProgress) => void;
  logger?: TPassLogger;
}): Promise<{ artifacts: TPipelineArtifact[]; report: TReport }> {
  const { modelBytes, pipeline, signal, logger } = input;
  let lastProgress = 0;
  // Progress only moves forward, so a UI never sees it jump back between stages.
  const progress = (stage: string, value: number) => {
    lastProgress = Math.max(lastProgress, Math.min(1, value));
    input.reportProgress({ stage, progress: lastProgress });
  };

  throwIfAborted(signal);
  progress("parsing the model", 0);
  const original = decodeModel(modelBytes);
  const report: TReport = {
    schemaVersion: 1,
    createdAt: new Date().toISOString(),
    pipeline,
    original: { sizeBytes: modelBytes.byteLength, sha256: sha256Hex(modelBytes), analysis: analyzeModel(original) },
    provenance: getRuntimeInfo(),
    warnings: [],
  };
  progress("parsing the model", PARSE_SHARE);

  const handlers = pipeline.steps.map((step) => {
    const handler = PASS_HANDLERS.get(step.pass);
    if (!handler) {
      throw new AppError("BAD_INPUT", {
        userMessage: `the pass "${step.pass}" is not available on this worker; available: ${[...PASS_HANDLERS.keys()].join(", ")}`,
      });
    }
    return handler;
  });
  const totalWeight = handlers.reduce((a, h) => a + h.progressWeight, 0);
  let model: TModelProto = original;
  let transformed = false;
  const stepsShare = 1 - PARSE_SHARE - ENCODE_SHARE - (handlers.some((h) => h.pass !== "analyze") ? EVALUATE_SHARE : 0);
  let done = 0;

  for (let i = 0; i < pipeline.steps.length; i++) {
    throwIfAborted(signal);
    const step = pipeline.steps[i];
    const handler = handlers[i];
    const start = PARSE_SHARE + (stepsShare * done) / totalWeight;
    const span = (stepsShare * handler.progressWeight) / totalWeight;
    const label = `${handler.stage} (step ${i + 1}/${pipeline.steps.length})`;
    progress(label, start);
    logger?.info({ step: i, pass: step.pass }, "pipeline step started");
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
    });
    throwIfAborted(signal);
    if (out.model) {
      model = out.model;
      transformed = true;
    }
    if (out.warnings) report.warnings.push(...out.warnings);
    mergeSections(report, out.report);
    logger?.info({ step: i, pass: step.pass, wallMs: Math.round(performance.now() - t0) }, "pipeline step finished");
    done += handler.progressWeight;
  }

  const artifacts: TPipelineArtifact[] = [];
  if (transformed) {
    progress("encoding the compressed model", 1 - ENCODE_SHARE - EVALUATE_SHARE);
    const compressedBytes = encodeModel(model);
    throwIfAborted(signal);
    report.compressed = {
      ...(report.compressed ?? {}),
      sizeBytes: compressedBytes.byteLength,
      sha256: sha256Hex(compressedBytes),
      analysis: analyzeModel(model),
    };
    if (!report.compressed.latencyMs || !report.original.latencyMs) {
      await measureBoth(report, original, modelBytes, model, compressedBytes, signal, (f) =>
        progress("measuring latency (original vs compressed)", 1 - ENCODE_SHARE - EVALUATE_SHARE + EVALUATE_SHARE * f),
      );
    }
    artifacts.push({ name: `${stemOf(input.modelName)}.compressed.onnx`, contentType: "application/octet-stream", bytes: compressedBytes });
  }

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

/** Interleaved latency of original and compressed on the same generated inputs, when no pass measured it. */
async function measureBoth(
  report: TReport,
  original: TModelProto,
  originalBytes: Uint8Array,
  compressed: TModelProto,
  compressedBytes: Uint8Array,
  signal: AbortSignal,
  onProgress: (fraction: number) => void,
): Promise<void> {
  const a = await createSessionForModel(originalBytes, "the original model");
  try {
    const b = await createSessionForModel(compressedBytes, "the compressed model");
    try {
      const { feeds: feedsA, options: opts } = await generateRunnableInputs(a, original, { dynamicDimSize: 1, seed: 0 });
      // The compressed model may change input dtypes (e.g. fp16 without float32 I/O): generate for each.
      const feedsB = generateInputs(compressed, opts);
      const [la, lb] = await measureLatencyInterleaved([a, b], [feedsA, feedsB], { warmupRuns: 3, runs: 20, signal, onProgress });
      report.original.latencyMs = { p50: la.p50, p95: la.p95, runs: la.runs };
      report.compressed!.latencyMs = { p50: lb.p50, p95: lb.p95, runs: lb.runs };
      report.inputs ??= { source: "generated", description: describeGeneratedInputs(feedsA, opts) };
      if (report.provenance) report.provenance.intraOpThreads = a.intraOpThreads;
    } finally {
      await b.release();
    }
  } finally {
    await a.release();
  }
}
