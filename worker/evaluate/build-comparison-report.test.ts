import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZReport } from "../../contracts/report";
import { openDataSource } from "../data/data-source";
import { createGeneratedDataSource } from "../data/generated-source";
import { encodeNpz } from "../data/npz";
import { encodeModel } from "../onnx/model-io";
import { buildComparisonReport } from "./build-comparison-report";
import { buildTinyMlp, roundLayerWeights } from "./tiny-mlp.test-helper";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "compare-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("buildComparisonReport (onnxruntime, tiny MLP)", () => {
  it("compares on user data with labels: sizes, fidelity per output, accuracy, latency, sensitivity", async () => {
    const original = buildTinyMlp();
    const compressed = buildTinyMlp({ perturb: { fc2: 0.05 } });
    const x = Float32Array.from({ length: 10 * 4 }, (_, i) => Math.sin(i * 0.37) * 2);
    // Labels = the original model's own argmax would give 100%; use fixed ids so the numbers are checkable.
    const file = path.join(dir, "eval.npz");
    await writeFile(
      file,
      encodeNpz({ x: { dtype: "float32", dims: [10, 4], data: x }, labels: { dtype: "int64", dims: [10], data: new BigInt64Array(10) } }),
    );
    const data = await openDataSource(file, { modelInputs: [{ name: "x", elemType: "float32", shape: ["batch", 4] }], batchSize: 4 });
    const stages: string[] = [];
    const report = await buildComparisonReport({
      original: { bytes: encodeModel(original), model: original },
      compressed: { bytes: encodeModel(compressed), model: compressed },
      pipeline: { steps: [{ pass: "test" }] },
      data,
      latency: { runs: 5, warmupRuns: 1 },
      intraOpThreads: 1,
      sensitivity: { quantizeOnly: async (m, node) => roundLayerWeights(m, node.name, 0.25) },
      warnings: ["from the pass"],
      onProgress: (stage) => stages.push(stage),
    });
    expect(ZReport.parse(JSON.parse(JSON.stringify(report)))).toBeTruthy();
    expect(report.original.sizeBytes).toBe(encodeModel(original).byteLength);
    expect(report.compressed!.sizeBytes).toBe(encodeModel(compressed).byteLength);
    expect(report.original.analysis!.parameters.count).toBe(32 + 24);
    expect(report.original.latencyMs!.p50).toBeGreaterThan(0);
    expect(report.compressed!.latencyMs!.runs).toBe(5);
    expect(report.fidelity!.samples).toBe(10);
    const [y] = report.fidelity!.outputs!;
    expect(y.name).toBe("y");
    expect(y.elements).toBe(30);
    expect(report.fidelity!.cosine).toBe(y.cosine);
    expect(y.cosine).toBeGreaterThan(0.95);
    expect(y.cosine).toBeLessThan(1);
    expect(y.snrDb).toBeGreaterThan(10);
    expect(y.top1Agreement).toBeGreaterThan(0.5);
    expect(report.accuracy!.output).toBe("y");
    expect(report.accuracy!.samples).toBe(10);
    expect(report.inputs).toEqual({ source: "user", description: expect.stringContaining("eval.npz (10 samples") });
    expect(report.sensitivity!.map((s) => s.node).sort()).toEqual(["fc1", "fc2"]);
    expect(report.warnings[0]).toBe("from the pass");
    expect(report.provenance!.intraOpThreads).toBe(1);
    expect(report.comparison!.sizeRatio).toBeCloseTo(1, 1);
    expect(stages).toContain("measuring latency");
  });

  it("says when inputs were generated and warns on a badly damaged output", async () => {
    const original = buildTinyMlp();
    const broken = buildTinyMlp({ perturb: { fc1: 3 } });
    const report = await buildComparisonReport({
      original: { bytes: encodeModel(original) },
      compressed: { bytes: encodeModel(broken) },
      pipeline: null,
      data: createGeneratedDataSource(original, { dimSizes: { batch: 2 }, batchCount: 3 }),
      latency: false,
    });
    expect(report.inputs!.source).toBe("generated");
    expect(report.fidelity!.samples).toBe(6);
    expect(report.original.latencyMs).toBeUndefined();
    expect(report.fidelity!.cosine).toBeLessThan(0.99);
    expect(report.warnings.some((w) => w.includes("generated inputs"))).toBe(true);
    expect(report.warnings.some((w) => w.startsWith("output 'y' changed noticeably"))).toBe(true);
  });
});
