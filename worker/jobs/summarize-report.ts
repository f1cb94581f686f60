import type { TReport } from "../../contracts";

/** What Job.result holds: the few report numbers lists and the job page show, without fetching report.json. */
export type TJobResultSummary = {
  schemaVersion: number;
  original: TMeasurementSummary;
  compressed?: TMeasurementSummary;
  fidelity?: { cosine: number; snrDb: number };
  /** Compressed size / original size, when the pipeline produced a model. */
  sizeRatio?: number;
  /** Compressed / original latency (interleaved measurement), when measured. */
  latencyRatioP50?: number;
  accuracy?: { samples: number; originalTop1: number; compressedTop1: number };
  warnings: string[];
  artifacts: { name: string; sizeBytes: number }[];
};

type TMeasurementSummary = {
  sizeBytes: number;
  latencyMs?: { p50: number; p95: number; runs: number };
  parameterCount?: number;
  nodeCount?: number;
  opsets?: { domain: string; version: number }[];
};

/** Keeps warnings short in the row: report.json has them all. */
const MAX_WARNINGS = 20;

/** Builds Job.result from a pipeline report and the published artifacts. Pure and JSON-safe. */
export function summarizeReport(report: TReport, artifacts: { name: string; sizeBytes: number }[]): TJobResultSummary {
  const summary: TJobResultSummary = {
    schemaVersion: report.schemaVersion,
    original: summarizeMeasurement(report.original),
    warnings: report.warnings.slice(0, MAX_WARNINGS),
    artifacts: artifacts.map((a) => ({ name: a.name, sizeBytes: a.sizeBytes })),
  };
  if (report.compressed) {
    summary.compressed = summarizeMeasurement(report.compressed);
    if (report.original.sizeBytes > 0) summary.sizeRatio = report.compressed.sizeBytes / report.original.sizeBytes;
  }
  if (report.comparison) {
    summary.sizeRatio = report.comparison.sizeRatio;
    if (report.comparison.latencyRatioP50 !== undefined) summary.latencyRatioP50 = report.comparison.latencyRatioP50;
  }
  if (report.accuracy) {
    summary.accuracy = {
      samples: report.accuracy.samples,
      originalTop1: report.accuracy.original.top1,
      compressedTop1: report.accuracy.compressed.top1,
    };
  }
  if (report.fidelity) summary.fidelity = { cosine: report.fidelity.cosine, snrDb: report.fidelity.snrDb };
  return summary;
}

function summarizeMeasurement(m: TReport["original"]): TMeasurementSummary {
  const out: TMeasurementSummary = { sizeBytes: m.sizeBytes };
  if (m.latencyMs) out.latencyMs = { p50: m.latencyMs.p50, p95: m.latencyMs.p95, runs: m.latencyMs.runs };
  if (m.analysis) {
    out.parameterCount = m.analysis.parameters.count;
    out.nodeCount = m.analysis.nodeCount;
    out.opsets = m.analysis.opsets;
  }
  return out;
}
