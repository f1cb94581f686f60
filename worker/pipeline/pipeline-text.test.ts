import { describe, expect, it } from "vitest";
import { PRESETS, parsePipelineJson, parsePipelineText } from "../../contracts/pipeline";

describe("pipeline text form and validation messages", () => {
  it("parses the compact form into the canonical JSON spec with defaults", () => {
    const r = parsePipelineText("prune-channels(ratio=0.3) > int8-static(calibration=entropy, opTypesToExclude=[Add,Mul]) → cluster");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.pipeline.steps.map((s) => s.pass)).toEqual(["prune-channels", "int8-static", "cluster"]);
    const [prune, quant, cluster] = r.pipeline.steps;
    expect(prune.pass === "prune-channels" && prune.options.ratio).toBe(0.3);
    expect(quant.pass === "int8-static" && quant.options.calibrationMethod).toBe("entropy");
    expect(quant.pass === "int8-static" && quant.options.opTypesToExclude).toEqual(["Add", "Mul"]);
    expect(cluster.pass === "cluster" && cluster.options.k).toBe(16);
  });

  it("points errors at the step and option, in both forms", () => {
    expect(parsePipelineText("low-rank > prune-channels(ratio=2)")).toEqual({
      ok: false,
      error: expect.stringMatching(/^invalid pipeline: steps\[1\]\.options\.ratio: /),
    });
    const json = parsePipelineJson(JSON.stringify({ steps: [{ pass: "cluster" }, { pass: "prune-channels", options: { ratio: 2 } }] }));
    expect(json).toEqual({ ok: false, error: expect.stringMatching(/^invalid pipeline: steps\[1\]\.options\.ratio: Too big/) });
    expect(parsePipelineText("cluster(k=999)")).toEqual({ ok: false, error: expect.stringContaining("steps[0].options.k") });
    expect(parsePipelineText("cluster(k)")).toEqual({ ok: false, error: 'invalid pipeline: steps[0].options: expected name=value, got "k"' });
    expect(parsePipelineText("fp16 > ")).toEqual({ ok: false, error: expect.stringContaining("steps[1]") });
  });

  it("has the combined presets with descriptions", () => {
    for (const name of ["low-rank", "cluster", "max-compression", "max-speed", "distill"]) expect(PRESETS.get(name)?.description.length).toBeGreaterThan(20);
    expect(PRESETS.get("max-speed")!.pipeline.steps.map((s) => s.pass)).toEqual(["prune-channels", "int8-static"]);
    expect(PRESETS.get("distill")!.pipeline.steps.map((s) => s.pass)).toEqual(["prune-channels", "distill"]);
  });
});
