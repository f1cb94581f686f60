import { expect, test } from "vitest";
import { AppError, type TReport } from "../../contracts";
import { describeJobFailure } from "./run-compression-job";
import { summarizeReport } from "./summarize-report";

const REPORT: TReport = {
  schemaVersion: 1,
  createdAt: "2026-11-30T00:00:00.000Z",
  pipeline: { steps: [] },
  original: {
    sizeBytes: 1000,
    latencyMs: { p50: 2, p95: 3, runs: 20 },
    analysis: {
      irVersion: 8,
      producer: "test",
      opsets: [{ domain: "", version: 17 }],
      inputs: [],
      outputs: [],
      nodeCount: 12,
      opHistogram: { Conv: 12 },
      parameters: { count: 250, bytes: 1000, byDtype: { float32: { count: 250, bytes: 1000 } } },
    },
  },
  compressed: { sizeBytes: 250, latencyMs: { p50: 1, p95: 1.5, runs: 20 } },
  fidelity: { cosine: 0.999, snrDb: 40, mse: 1e-4 },
  comparison: { sizeRatio: 0.26, latencyRatioP50: 0.5 },
  accuracy: { output: "logits", samples: 100, original: { top1: 0.9 }, compressed: { top1: 0.88 } },
  warnings: Array.from({ length: 30 }, (_, i) => `warning ${i}`),
};

test("Job.result keeps the headline numbers of report.json", () => {
  const summary = summarizeReport(REPORT, [{ name: "report.json", sizeBytes: 512 }]);
  expect(summary.original).toEqual({
    sizeBytes: 1000,
    latencyMs: { p50: 2, p95: 3, runs: 20 },
    parameterCount: 250,
    nodeCount: 12,
    opsets: [{ domain: "", version: 17 }],
  });
  expect(summary.compressed?.sizeBytes).toBe(250);
  // The report's own comparison wins over a recomputed ratio.
  expect(summary.sizeRatio).toBe(0.26);
  expect(summary.latencyRatioP50).toBe(0.5);
  expect(summary.accuracy).toEqual({ samples: 100, originalTop1: 0.9, compressedTop1: 0.88 });
  expect(summary.fidelity).toEqual({ cosine: 0.999, snrDb: 40 });
  expect(summary.warnings).toHaveLength(20);
  expect(summary.artifacts).toEqual([{ name: "report.json", sizeBytes: 512 }]);
  expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
});

test("an analyze-only report has no compressed section or ratio", () => {
  const { compressed: _c, fidelity: _f, comparison: _r, accuracy: _a, ...analyzeOnly } = REPORT;
  const summary = summarizeReport(analyzeOnly, []);
  expect(summary.compressed).toBeUndefined();
  expect(summary.sizeRatio).toBeUndefined();
  expect(summary.fidelity).toBeUndefined();
});

test("job failures: AppErrors show their user message, anything else a generic line naming the stage", () => {
  const userErr = new AppError("UNPROCESSABLE", { message: "decode failed at byte 12", userMessage: "the model file is truncated" });
  expect(describeJobFailure(userErr, "analyze")).toEqual({ userError: "the model file is truncated", internal: false });
  expect(describeJobFailure(new TypeError("x is undefined"), "uploading artifacts")).toEqual({
    userError: "internal error while running uploading artifacts; the team has been notified",
    internal: true,
  });
});
