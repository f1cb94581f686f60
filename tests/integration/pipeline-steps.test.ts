/**
 * Multi-step pipelines through the shared runner on a real fixture (PP-OCR direction classifier): one report.steps
 * row per transforming step with its size/latency/fidelity, and the compressed model matching the final row.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parsePipelineText, PRESETS } from "../../contracts/pipeline";
import { ZReport } from "../../contracts/report";
import { runPipeline } from "../../worker/pipeline/run-pipeline";
import { getFixtureModel } from "../fixtures/fetch-models";

const run = async (pipelineText: string) => {
  const parsed = parsePipelineText(pipelineText);
  if (!parsed.ok) throw new Error(parsed.error);
  const bytes = new Uint8Array(await readFile(await getFixtureModel("ppocr_cls")));
  const stages: string[] = [];
  const out = await runPipeline({
    modelBytes: bytes,
    modelName: "cls.onnx",
    pipeline: parsed.pipeline,
    signal: new AbortController().signal,
    reportProgress: (p) => stages.push(p.stage),
    sensitivityMaxLayers: 0,
    evalMaxBatches: 2,
    latencyRuns: 5,
  });
  return { ...out, bytes, stages };
};

describe("multi-step pipelines (real fixture)", () => {
  it("prune-magnitude > analyze > cluster: one row per transforming step, each measured against the original", async () => {
    const { report, artifacts, bytes, stages } = await run("prune-magnitude(storage=dense) > analyze(latencyRuns=2) > cluster(k=16)");
    ZReport.parse(report);
    const rows = report.steps!;
    expect(rows.map((r) => [r.pass, r.transformed])).toEqual([
      ["prune-magnitude", true],
      ["analyze", false],
      ["cluster", true],
    ]);
    const [prune, , cluster] = rows;
    // Dense pruning keeps the size; clustering then stores one byte per clustered weight.
    expect(prune.sizeRatio!).toBeGreaterThan(0.9);
    expect(cluster.sizeRatio!).toBeLessThan(0.5);
    for (const r of [prune, cluster]) {
      // Measured on generated document pages (not noise): 50% magnitude pruning without fine-tuning costs fidelity.
      expect(r.cosine!).toBeGreaterThan(0.6);
      expect(r.cosine!).toBeLessThan(1);
      expect(r.latencyMsP50!).toBeGreaterThan(0);
      expect(r.samples!).toBeGreaterThan(0);
    }
    const model = artifacts.find((a) => a.name === "cls.compressed.onnx")!;
    expect(cluster.sizeBytes).toBe(model.bytes.byteLength);
    expect(report.compressed!.sizeBytes).toBe(model.bytes.byteLength);
    expect(report.fidelity!.cosine).toBe(cluster.cosine);
    expect(report.original.sizeBytes).toBe(bytes.byteLength);
    expect((report as { cluster?: { layers: unknown[] } }).cluster!.layers.length).toBeGreaterThan(10);
    expect((report as { pruning?: { method: string } }).pruning!.method).toBe("magnitude");
    expect(stages.some((s) => s.includes("step 3/3"))).toBe(true);
  });

  it("every preset in PRESETS runs through runPipeline and yields a valid report", async () => {
    const bytes = new Uint8Array(await readFile(await getFixtureModel("ppocr_cls")));
    for (const preset of PRESETS.values()) {
      const { report } = await runPipeline({
        modelBytes: bytes,
        modelName: "cls.onnx",
        pipeline: preset.pipeline,
        signal: new AbortController().signal,
        reportProgress: () => {},
        sensitivityMaxLayers: 0,
        evalMaxBatches: 1,
        latencyRuns: 2,
      });
      expect(ZReport.safeParse(report).success, preset.name).toBe(true);
      expect(report.steps!.length, preset.name).toBe(preset.pipeline.steps.length);
      if (preset.name !== "analyze") expect(report.compressed?.sizeBytes, preset.name).toBeGreaterThan(0);
    }
  }, 240_000);
});
