import { describe, expect, it } from "vitest";
import type { TJob } from "../client";
import { chooseDefaultArtifact } from "./commands/download";
import { describeJobPipeline, describeJobState, describeUnsuccessfulJob, formatJobDetails, renderJobLine } from "./job-view";

function buildJob(patch: Partial<TJob> = {}): TJob {
  return {
    id: "job1",
    modelId: "model1",
    state: "running",
    stage: "analyze",
    progress: 0.4,
    attempts: 1,
    error: null,
    preset: "analyze",
    pipeline: { steps: [{ pass: "analyze" }] },
    result: null,
    artifacts: [],
    createdAt: "2026-11-30T10:00:00.000Z",
    startedAt: "2026-11-30T10:00:02.000Z",
    finishedAt: null,
    cancelRequestedAt: null,
    updatedAt: "2026-11-30T10:00:05.000Z",
    ...patch,
  } as TJob;
}

const ARTIFACT = { sha256: "ab".repeat(32), contentType: "application/json", createdAt: "2026-11-30T10:00:09.000Z" };

describe("job view", () => {
  it("describes state, stage and pipeline", () => {
    expect(describeJobState(buildJob())).toBe("running (analyze, 40%)");
    expect(describeJobState(buildJob({ state: "queued", stage: null, progress: 0 }))).toBe("queued");
    expect(describeJobPipeline(buildJob())).toBe("preset analyze");
    expect(describeJobPipeline(buildJob({ preset: null, pipeline: { steps: [{ pass: "analyze" }, { pass: "quantize" }] } }))).toBe("pipeline analyze → quantize");
  });

  it("renders a live line with a bar that fits the terminal", () => {
    const now = Date.parse("2026-11-30T10:00:14.000Z");
    const line = renderJobLine(buildJob(), 100, now);
    expect(line).toMatch(/^job job1  running  analyze \[=+>\s*\]  40%  12s$/);
    expect(renderJobLine(buildJob(), 40, now).length).toBeLessThanOrEqual(39);
    const long = renderJobLine(buildJob({ id: "cmx35uqub0005in7d9jyq1l07", stage: "analyze: loading the model in onnxruntime" }), 100, now);
    expect(long).toMatch(/^job cmx35uqub0005in7d9jyq1l07  running  analyze: loading the model…\s\[=+>\s*\]  40%  12s$/);
  });

  it("formats details with artifacts, and turns failure/cancel into one-line errors", () => {
    const done = buildJob({
      state: "succeeded",
      finishedAt: "2026-11-30T10:00:12.000Z",
      artifacts: [{ name: "report.json", sizeBytes: 2048, ...ARTIFACT }],
    });
    const text = formatJobDetails(done);
    expect(text).toMatch(/^state\s+succeeded$/m);
    expect(text).toMatch(/^duration\s+10s$/m);
    expect(text).toMatch(/^\s+report\.json\s+2\.00 KiB\s+abab/m);
    expect(describeUnsuccessfulJob(done)).toBeUndefined();
    expect(describeUnsuccessfulJob(buildJob({ state: "failed", error: "the model has no inputs" }))?.message).toBe("job job1 failed: the model has no inputs");
    expect(describeUnsuccessfulJob(buildJob({ state: "canceled" }))?.message).toBe("job job1 was canceled");
  });

  it("picks the default artifact to download", () => {
    const a = (name: string) => ({ name, sizeBytes: 1, ...ARTIFACT });
    expect(chooseDefaultArtifact(buildJob({ artifacts: [a("report.json"), a("model.int8.onnx")] }))).toBe("model.int8.onnx");
    expect(chooseDefaultArtifact(buildJob({ artifacts: [a("report.json")] }))).toBe("report.json");
    expect(() => chooseDefaultArtifact(buildJob({ artifacts: [] }))).toThrow("job job1 has no artifacts (it is running)");
    expect(() => chooseDefaultArtifact(buildJob({ artifacts: [a("a.json"), a("b.json")] }))).toThrow("choose one with --name (a.json, b.json)");
  });
});
