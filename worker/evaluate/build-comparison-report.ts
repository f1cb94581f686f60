import { createHash } from "node:crypto";
import { ZReport, type TModelAnalysis, type TReport } from "../../contracts/report";
import type { TDataSource } from "../data/data-source";
import type { THostFeeds, THostTensor } from "../data/host-tensor";
import { decodeModel } from "../onnx/model-io";
import type { TModelProto } from "../onnx/onnx-proto";
import { analyzeModel } from "../passes/analyze/analyze-model";
import { createInferenceSession, getRuntimeInfo, type TInferenceSession } from "../runtime/ort";
import { summarizeModel } from "../onnx/tensor-info";
import { measureLatencyInterleaved } from "./measure-latency";
import { AccuracyAccumulator, FidelityAccumulator, summarizeFidelity } from "./fidelity";
import { measureLayerSensitivity, type TSensitivityCandidate } from "./layer-sensitivity";
import { adaptFeedsToInputs, runOnHostFeeds, toRuntimeFeeds } from "./run-feeds";

type TLatencyStats = { p50: number; p95: number; runs: number };

/**
 * report.json for a compression run: original vs compressed, on the same inputs, in the same process.
 * Sizes, parameters by dtype, interleaved latency, per-output fidelity, accuracy (with labels), per-layer
 * sensitivity, warnings and provenance. Field names follow contracts/report.ts (a public contract).
 */

/** Below this worst-output cosine the report warns that the compressed model may behave differently. */
export const FIDELITY_WARNING_COSINE = 0.99;

export type TBuildComparisonReportInput = {
  original: { bytes: Uint8Array; model?: TModelProto };
  /** Absent for pipelines that do not produce a model (e.g. analyze): then only the original is measured. */
  compressed?: { bytes: Uint8Array; model?: TModelProto };
  /** The pipeline spec that was run (copied into the report). */
  pipeline: unknown;
  /** Evaluation data: the user's (`openDataSource`) or generated (`createGeneratedDataSource`). */
  data: TDataSource;
  /** Batches of `data` used for fidelity/accuracy (default 16). */
  evalMaxBatches?: number;
  /** Latency options; `false` skips latency. */
  latency?: { runs?: number; warmupRuns?: number } | false;
  intraOpThreads?: number;
  /** Per-layer sensitivity; omitted = not measured. */
  sensitivity?: {
    /** Returns a copy of the float model with only `node` compressed by the pipeline's pass. */
    quantizeOnly: (model: TModelProto, node: TSensitivityCandidate) => Promise<TModelProto>;
    /** The float model to probe (default: the original; pass the pass's *prepared* model when it renames nodes). */
    model?: TModelProto;
    candidates?: readonly TSensitivityCandidate[];
    maxLayers?: number;
    /** Batches of `data` used per layer (default 1). */
    batches?: number;
  };
  /** Warnings from the passes, kept first in the report. */
  warnings?: readonly string[];
  /** Extra report sections from the passes (e.g. calibration details), merged at the top level. */
  extra?: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
};

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Picks the output used for accuracy: the first [N, C] float output with one row per sample. */
function findClassScoreOutput(outputs: Record<string, THostTensor>, samples: number): string | undefined {
  for (const [name, t] of Object.entries(outputs)) {
    const isFloat = t.dtype === "float32" || t.dtype === "float16" || t.dtype === "float64";
    const c = t.dims[t.dims.length - 1] ?? 0;
    const middleOnes = t.dims.slice(1, -1).every((d) => d === 1);
    if (isFloat && t.dims.length >= 2 && t.dims[0] === samples && middleOnes && c >= 2) return name;
  }
  return undefined;
}

function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Builds and validates (ZReport) the comparison report. Never throws for model-quality problems: those are warnings. */
export async function buildComparisonReport(input: TBuildComparisonReportInput): Promise<TReport> {
  const progress = input.onProgress ?? (() => {});
  const warnings = [...(input.warnings ?? [])];
  const originalModel = input.original.model ?? decodeModel(input.original.bytes);
  const compressedModel = input.compressed ? (input.compressed.model ?? decodeModel(input.compressed.bytes)) : undefined;
  const originalAnalysis: TModelAnalysis = analyzeModel(originalModel);
  const compressedAnalysis = compressedModel ? analyzeModel(compressedModel) : undefined;

  const threads = input.intraOpThreads;
  const sessions: TInferenceSession[] = [];
  try {
    progress("loading models", 0);
    sessions.push(await createInferenceSession(input.original.bytes, { intraOpThreads: threads }));
    if (input.compressed) sessions.push(await createInferenceSession(input.compressed.bytes, { intraOpThreads: threads }));
    const [origSession, compSession] = sessions;
    const compInputs = compressedModel ? summarizeModel(compressedModel).inputs : [];

    // Fidelity + accuracy over the evaluation batches.
    const fidelity = new FidelityAccumulator();
    const referenceCheck = new FidelityAccumulator();
    const accOriginal = new AccuracyAccumulator();
    const accCompressed = new AccuracyAccumulator();
    let accuracyOutput: string | undefined;
    let samples = 0;
    const firstFeeds: THostFeeds[] = [];
    const maxBatches = input.evalMaxBatches ?? 16;
    const sensBatches = input.sensitivity?.batches ?? 1;
    let batchIndex = 0;
    for await (const batch of input.data.batches({ maxBatches, signal: input.signal })) {
      if (firstFeeds.length < Math.max(1, sensBatches)) firstFeeds.push(batch.feeds);
      const ref = await runOnHostFeeds(origSession, batch.feeds);
      if (batch.references) {
        const stored = Object.fromEntries(Object.entries(batch.references).filter(([k]) => k in ref));
        if (Object.keys(stored).length > 0) referenceCheck.add(stored, ref);
      }
      if (compSession) {
        const got = await runOnHostFeeds(compSession, adaptFeedsToInputs(batch.feeds, compInputs));
        fidelity.add(ref, got);
        if (batch.labels) {
          accuracyOutput ??= findClassScoreOutput(ref, batch.sampleCount);
          if (accuracyOutput && got[accuracyOutput]) {
            accOriginal.add(ref[accuracyOutput], batch.labels);
            accCompressed.add(got[accuracyOutput], batch.labels);
          }
        }
      }
      samples += batch.sampleCount;
      batchIndex++;
      progress("evaluating fidelity", Math.min(1, batchIndex / maxBatches) * 0.5);
    }
    if (firstFeeds.length === 0) throw new Error("the evaluation data produced no batches");

    // Latency, interleaved on the first batch.
    let latencies: TLatencyStats[] | undefined;
    if (input.latency !== false) {
      progress("measuring latency", 0.5);
      const feeds = [toRuntimeFeeds(firstFeeds[0]), toRuntimeFeeds(adaptFeedsToInputs(firstFeeds[0], compInputs))];
      const measured = await measureLatencyInterleaved(sessions, feeds.slice(0, sessions.length), {
        runs: input.latency?.runs ?? 20,
        warmupRuns: input.latency?.warmupRuns ?? 3,
        signal: input.signal,
        onProgress: (f) => progress("measuring latency", 0.5 + 0.2 * f),
      });
      latencies = measured.map((m) => ({ p50: roundTo(m.p50, 4), p95: roundTo(m.p95, 4), runs: m.runs }));
    }

    const report: TReport = {
      schemaVersion: 1,
      createdAt: new Date().toISOString(),
      pipeline: input.pipeline,
      original: {
        sizeBytes: input.original.bytes.byteLength,
        sha256: sha256(input.original.bytes),
        analysis: originalAnalysis,
        latencyMs: latencies?.[0],
      },
      inputs: { source: input.data.source, description: input.data.description },
      provenance: getRuntimeInfo({ intraOpThreads: origSession.intraOpThreads, executionProvider: origSession.executionProvider }),
      warnings,
      ...(input.extra ?? {}),
    };
    if (input.data.source === "generated") {
      warnings.push(
        "fidelity was measured on generated inputs (random values from the model's signature), not on real data: supply evaluation data (--eval) for numbers that reflect your use",
      );
    }
    const refCheck = referenceCheck.results();
    for (const r of refCheck) {
      if (r.cosine < 0.999) {
        warnings.push(`the original model's output '${r.name}' differs from the reference output stored with the data (cosine ${r.cosine.toFixed(4)})`);
      }
    }

    if (input.compressed && compressedAnalysis) {
      const outputs = fidelity.results();
      const worst = summarizeFidelity(outputs);
      report.compressed = {
        sizeBytes: input.compressed.bytes.byteLength,
        sha256: sha256(input.compressed.bytes),
        analysis: compressedAnalysis,
        latencyMs: latencies?.[1],
      };
      report.fidelity = { ...worst, samples, outputs };
      report.comparison = { sizeRatio: roundTo(input.compressed.bytes.byteLength / Math.max(1, input.original.bytes.byteLength), 4) };
      if (latencies?.[0] && latencies[1] && latencies[0].p50 > 0) {
        report.comparison.latencyRatioP50 = roundTo(latencies[1].p50 / latencies[0].p50, 4);
        report.comparison.latencyRatioP95 = roundTo(latencies[1].p95 / Math.max(1e-9, latencies[0].p95), 4);
        if (report.comparison.latencyRatioP50 > 1.05) {
          warnings.push(
            `the compressed model is slower than the original on this CPU (p50 ${latencies[1].p50.toFixed(2)} ms vs ${latencies[0].p50.toFixed(2)} ms, ×${report.comparison.latencyRatioP50.toFixed(2)})`,
          );
        }
      }
      for (const o of outputs) {
        if (o.nonFiniteCount > 0) warnings.push(`output '${o.name}' of the compressed model has ${o.nonFiniteCount} NaN/Inf values where the original is finite`);
        else if (o.cosine < FIDELITY_WARNING_COSINE) {
          warnings.push(`output '${o.name}' changed noticeably (cosine ${o.cosine.toFixed(4)}, SNR ${o.snrDb.toFixed(1)} dB): check the sensitivity table and keep the worst layers in float`);
        }
      }
      if (accuracyOutput && accOriginal.result().samples > 0) {
        report.accuracy = {
          output: accuracyOutput,
          samples: accOriginal.result().samples,
          original: { top1: accOriginal.result().top1 },
          compressed: { top1: accCompressed.result().top1 },
        };
      } else if (input.data.hasLabels) {
        warnings.push("labels were given but no output looks like class scores ([N, C] with one row per sample): accuracy was not measured");
      }

      if (input.sensitivity) {
        progress("measuring per-layer sensitivity", 0.7);
        const sens = await measureLayerSensitivity({
          model: input.sensitivity.model ?? originalModel,
          quantizeOnly: input.sensitivity.quantizeOnly,
          feeds: firstFeeds.slice(0, Math.max(1, sensBatches)),
          candidates: input.sensitivity.candidates,
          maxLayers: input.sensitivity.maxLayers,
          intraOpThreads: threads,
          signal: input.signal,
          onProgress: (done, total) => progress("measuring per-layer sensitivity", 0.7 + (0.3 * done) / Math.max(1, total)),
        });
        report.sensitivity = sens.entries;
        if (sens.measuredCount < sens.candidateCount) {
          warnings.push(`per-layer sensitivity measured ${sens.measuredCount} of ${sens.candidateCount} quantizable layers (first, last and largest); raise the cap to see all`);
        }
        for (const f of sens.failures.slice(0, 5)) warnings.push(`sensitivity of layer '${f.node}' could not be measured: ${f.reason}`);
      }
    }
    progress("report ready", 1);
    return ZReport.parse(report);
  } finally {
    for (const s of sessions) await s.release();
  }
}
