/**
 * Taylor importance through the pipeline runner on the real PP-OCR fixtures: gradients come from the autodiff engine
 * on the pass's calibration data (generated here), the classifier is ranked with a pseudo-label cross-entropy, and the
 * detector (a ConvTranspose without a gradient rule on its path) falls back to L1 with a warning in the report.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ZPruneChannelsOptions } from "../../contracts/pipeline";
import { generateInputs } from "../../worker/data/generate-inputs";
import { decodeModel } from "../../worker/onnx/model-io";
import { runPipeline } from "../../worker/pipeline/run-pipeline";
import { createInferenceSession } from "../../worker/runtime/ort";
import { getFixtureModel } from "../fixtures/fetch-models";

async function runTaylorPipeline(name: "ppocr_cls" | "ppocr_det") {
  const bytes = new Uint8Array(await readFile(await getFixtureModel(name)));
  const result = await runPipeline({
    modelBytes: bytes,
    modelName: `${name}.onnx`,
    pipeline: { steps: [{ pass: "prune-channels", options: ZPruneChannelsOptions.parse({ importance: "taylor" }) }] },
    signal: new AbortController().signal,
    reportProgress: () => {},
  });
  return { bytes, ...result };
}

describe("prune-channels with Taylor importance", () => {
  it("ppocr_cls: ranked by gradients of a pseudo-label loss; a valid smaller model with MACs at most 0.6x", async () => {
    const { bytes, artifacts, report } = await runTaylorPipeline("ppocr_cls");
    const pruning = report.pruning!;
    expect(pruning.settings).toMatchObject({ importance: "taylor", taylorLoss: "softmax_0.tmp_0: pseudo-label-cross-entropy" });
    expect(pruning.settings!.calibration).toMatch(/generated/);
    expect(pruning.settings!.taylorBatches).toBeGreaterThan(0);
    expect(pruning.macs!.ratio).toBeLessThanOrEqual(0.6);
    expect(report.warnings.join(" ")).not.toContain("Taylor");
    const compressed = artifacts.find((a) => a.name.endsWith(".compressed.onnx"))!;
    const original = decodeModel(bytes);
    const feeds = generateInputs(original, { dimSizes: { "p2o.DynamicDimension.1": 48, "p2o.DynamicDimension.2": 192 }, seed: 3 });
    const s = await createInferenceSession(compressed.bytes, { intraOpThreads: 1 });
    try {
      const out = await s.run(feeds);
      expect(Object.values(out)[0].dims).toEqual([1, 2]);
    } finally {
      await s.release();
    }
  });

  it("ppocr_det: no gradient rule on the path, so L1 ranks the channels and the report says why", async () => {
    const { report } = await runTaylorPipeline("ppocr_det");
    expect(report.pruning!.settings).toMatchObject({ importance: "l1", importanceFallback: "l1" });
    expect(report.warnings.join(" ")).toMatch(/Taylor importance needs gradients.*ConvTranspose.*ranked channels by L1 norm instead/);
    expect(report.pruning!.macs!.ratio).toBeLessThan(0.6);
  });
});
