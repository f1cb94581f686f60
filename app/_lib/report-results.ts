import type { TReport, TSensitivityEntry } from "../../contracts/report";

/**
 * What the job page charts, read from report.json. Pure functions over the report so the numbers shown are tested
 * without a browser. Sections are optional in the report: each reader returns empty/undefined when its section
 * is absent, and the page shows what is there.
 */

/** One metric of the original-vs-compressed comparison. Smaller is better for size and latency. */
export type TComparisonRow = { metric: string; unit: "bytes" | "ms"; original: number; compressed: number; ratio: number };

/** Size and latency p50/p95, original vs compressed; empty when no compressed model was measured. */
export function readComparisonRows(report: TReport): TComparisonRow[] {
  const c = report.compressed;
  if (!c) return [];
  const rows: TComparisonRow[] = [];
  const push = (metric: string, unit: TComparisonRow["unit"], original: number | undefined, compressed: number | undefined) => {
    if (original === undefined || compressed === undefined || !(original > 0)) return;
    rows.push({ metric, unit, original, compressed, ratio: compressed / original });
  };
  push("Size", "bytes", report.original.sizeBytes, c.sizeBytes);
  push("Latency p50", "ms", report.original.latencyMs?.p50, c.latencyMs?.p50);
  push("Latency p95", "ms", report.original.latencyMs?.p95, c.latencyMs?.p95);
  return rows;
}

export type TFidelityRow = { output: string; cosine: number; snrDb: number; maxAbsError?: number; top1Agreement?: number };

/** Fidelity per output; a report with only the overall numbers gives one row named "all outputs". */
export function readFidelityRows(report: TReport): TFidelityRow[] {
  const f = report.fidelity;
  if (!f) return [];
  if (f.outputs && f.outputs.length > 0) {
    return f.outputs.map((o) => ({ output: o.name, cosine: o.cosine, snrDb: o.snrDb, maxAbsError: o.maxAbsError, top1Agreement: o.top1Agreement }));
  }
  return [{ output: "all outputs", cosine: f.cosine, snrDb: f.snrDb, maxAbsError: f.maxAbsError }];
}

/** Per-layer sensitivity, worst (lowest cosine) first, at most `limit` rows. */
export function readSensitivity(report: TReport, limit = 20): TSensitivityEntry[] {
  return [...(report.sensitivity ?? [])].sort((a, b) => a.cosine - b.cosine || a.snrDb - b.snrDb).slice(0, limit);
}

/** One row of the per-step table: what each pass of a multi-step pipeline did. */
export type TStepRow = { index: number; pass: string; sizeBytes?: number; latencyMsP50?: number; cosine?: number; durationMs?: number; note?: string };

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/**
 * Rows from `report.steps[]` when the worker wrote it (read leniently: names vary between engine versions),
 * else one row per pipeline step with only its pass name.
 */
export function readStepRows(report: TReport): TStepRow[] {
  // Read leniently (not through ZStepReport): reports written by older workers used other field names.
  const raw = (report as Record<string, unknown>).steps;
  if (Array.isArray(raw) && raw.length > 0) {
    return raw.map((s, index) => {
      const step = (s ?? {}) as Record<string, unknown>;
      const latency = step.latencyMs as Record<string, unknown> | number | undefined;
      const fidelity = step.fidelity as Record<string, unknown> | undefined;
      return {
        index,
        pass: typeof step.pass === "string" ? step.pass : `step ${index + 1}`,
        sizeBytes: num(step.sizeBytes),
        latencyMsP50: num(step.latencyMsP50) ?? (typeof latency === "number" ? latency : num(latency?.p50)),
        cosine: num(step.cosine) ?? num(fidelity?.cosine),
        durationMs: num(step.durationMs) ?? num(step.wallMs),
        note: step.transformed === false ? "measured only" : Array.isArray(step.warnings) && step.warnings.length > 0 ? step.warnings.map(String).join("; ") : undefined,
      };
    });
  }
  const steps = (report.pipeline as { steps?: Array<{ pass?: unknown }> } | undefined)?.steps ?? [];
  return steps.map((s, index) => ({ index, pass: typeof s.pass === "string" ? s.pass : `step ${index + 1}` }));
}

export type TAccuracyView = { output: string; samples: number; original: number; compressed: number; deltaPoints: number };

/** Top-1 accuracy with labels, when given; delta in percentage points. */
export function readAccuracy(report: TReport): TAccuracyView | undefined {
  const a = report.accuracy;
  if (!a) return undefined;
  return { output: a.output, samples: a.samples, original: a.original.top1, compressed: a.compressed.top1, deltaPoints: (a.compressed.top1 - a.original.top1) * 100 };
}

/** The three numbers the compare page plots for a job: size, p50 latency and worst-output cosine of its result. */
export function readTradeoff(report: TReport): { sizeBytes: number; latencyMs?: number; fidelity?: number } {
  const m = report.compressed ?? report.original;
  return { sizeBytes: m.sizeBytes, latencyMs: m.latencyMs?.p50, fidelity: report.compressed ? report.fidelity?.cosine : 1 };
}
