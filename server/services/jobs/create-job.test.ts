import { describe, expect, test } from "vitest";
import { PRESETS } from "../../../contracts/pipeline";
import { resolvePipeline } from "./create-job";

describe("resolvePipeline", () => {
  test("a preset gives its pipeline and name", () => {
    expect(resolvePipeline({ preset: "analyze" })).toMatchObject({ preset: "analyze", pipeline: { steps: [{ pass: "analyze" }] } });
  });

  test("a pipeline object or JSON text is validated with defaults filled", () => {
    const fromText = resolvePipeline({ pipeline: '{"steps":[{"pass":"analyze"}]}' });
    expect(fromText).toEqual({ preset: null, pipeline: { steps: [{ pass: "analyze", options: { latencyRuns: 20, warmupRuns: 3, dynamicDimSize: 1 } }] } });
    expect(resolvePipeline({ pipeline: { steps: [{ pass: "analyze" }] } })).toEqual(fromText);
  });

  test("errors name what to fix", () => {
    expect(() => resolvePipeline({})).toThrow("give exactly one of a pipeline or a preset");
    expect(() => resolvePipeline({ preset: "nope" })).toThrow(`unknown preset "nope": choose one of ${[...PRESETS.keys()].join(", ")}`);
    expect(() => resolvePipeline({ pipeline: { steps: [] } })).toThrow("invalid pipeline: steps: a pipeline needs at least one step");
    expect(() => resolvePipeline({ pipeline: "{" })).toThrow(/^pipeline is not valid JSON/);
  });
});
