import { describe, expect, it } from "vitest";
import type { TReport } from "../../contracts/report";
import { readAccuracy, readComparisonRows, readFidelityRows, readSensitivity, readStepRows, readTradeoff } from "./report-results";

const base: TReport = {
  schemaVersion: 1,
  createdAt: "2026-11-30T00:00:00.000Z",
  pipeline: { steps: [{ pass: "prune-magnitude" }, { pass: "int8-dynamic" }] },
  original: { sizeBytes: 1000, latencyMs: { p50: 10, p95: 12, runs: 20 } },
  warnings: [],
};

describe("report readers", () => {
  it("compares original and compressed size and latency as ratios", () => {
    const report: TReport = { ...base, compressed: { sizeBytes: 250, latencyMs: { p50: 5, p95: 9, runs: 20 } } };
    expect(readComparisonRows(report)).toEqual([
      { metric: "Size", unit: "bytes", original: 1000, compressed: 250, ratio: 0.25 },
      { metric: "Latency p50", unit: "ms", original: 10, compressed: 5, ratio: 0.5 },
      { metric: "Latency p95", unit: "ms", original: 12, compressed: 9, ratio: 0.75 },
    ]);
    expect(readComparisonRows(base)).toEqual([]);
  });

  it("lists fidelity per output, or one overall row", () => {
    const outputs = [{ name: "logits", elements: 10, cosine: 0.99, cosineMin: 0.98, mse: 0.1, maxAbsError: 0.5, snrDb: 30, nonFiniteCount: 0 }];
    expect(readFidelityRows({ ...base, fidelity: { cosine: 0.99, snrDb: 30, outputs } })[0]).toMatchObject({ output: "logits", cosine: 0.99 });
    expect(readFidelityRows({ ...base, fidelity: { cosine: 0.9, snrDb: 20 } })).toEqual([{ output: "all outputs", cosine: 0.9, snrDb: 20, maxAbsError: undefined }]);
  });

  it("sorts sensitivity worst first and caps it", () => {
    const sensitivity = [
      { node: "a", opType: "Conv", cosine: 0.999, snrDb: 40 },
      { node: "b", opType: "Conv", cosine: 0.9, snrDb: 10 },
      { node: "c", opType: "MatMul", cosine: 0.95, snrDb: 15 },
    ];
    expect(readSensitivity({ ...base, sensitivity }, 2).map((s) => s.node)).toEqual(["b", "c"]);
  });

  it("reads report.steps leniently and falls back to the pipeline", () => {
    const steps = [{ pass: "prune-magnitude", sizeBytes: 600, wallMs: 30, warnings: ["kept 2 layers dense"] }, { index: 1, pass: "int8-dynamic", transformed: true, wallMs: 12, sizeBytes: 200, latencyMsP50: 4, cosine: 0.98 }];
    expect(readStepRows({ ...base, steps } as TReport)).toEqual([
      { index: 0, pass: "prune-magnitude", sizeBytes: 600, latencyMsP50: undefined, cosine: undefined, durationMs: 30, note: "kept 2 layers dense" },
      { index: 1, pass: "int8-dynamic", sizeBytes: 200, latencyMsP50: 4, cosine: 0.98, durationMs: 12, note: undefined },
    ]);
    expect(readStepRows(base).map((r) => r.pass)).toEqual(["prune-magnitude", "int8-dynamic"]);
  });

  it("gives accuracy deltas in points and the trade-off triple", () => {
    const report: TReport = {
      ...base,
      compressed: { sizeBytes: 300, latencyMs: { p50: 6, p95: 7, runs: 20 } },
      fidelity: { cosine: 0.97, snrDb: 25 },
      accuracy: { output: "y", samples: 100, original: { top1: 0.9 }, compressed: { top1: 0.88 } },
    };
    expect(readAccuracy(report)?.deltaPoints).toBeCloseTo(-2, 6);
    expect(readTradeoff(report)).toEqual({ sizeBytes: 300, latencyMs: 6, fidelity: 0.97 });
    expect(readTradeoff(base)).toEqual({ sizeBytes: 1000, latencyMs: 10, fidelity: 1 });
  });
});
