/**
 * The low-rank preset on the real PP-OCR detector through the pipeline runner: Tucker-2 (the default for k×k Convs)
 * and the SVD (1×1 Convs) both fire, every factorized layer saves parameters and MACs, the artifact runs with the
 * original inputs/outputs, and each Tucker-2 layer's three Convs compute exactly the reconstructed weight
 * Ŵ = core ×₁ U_o ×₂ U_i, whose error is the energy the report says was dropped.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { findPreset } from "../../contracts/pipeline";
import { generateInputs } from "../../worker/data/generate-inputs";
import { readTensorAsFloat32 } from "../../worker/onnx/dtypes";
import { decodeModel } from "../../worker/onnx/model-io";
import { OnnxGraph } from "../../worker/onnx/graph";
import type { TLowRankReport } from "../../worker/passes/factorize/low-rank";
import { runPipeline } from "../../worker/pipeline/run-pipeline";
import { createInferenceSession } from "../../worker/runtime/ort";
import { getFixtureModel } from "../fixtures/fetch-models";

const DIMS = { "p2o.DynamicDimension.1": 96, "p2o.DynamicDimension.2": 96 };

describe("low-rank preset on ppocr_det", () => {
  it("Tucker-2 and SVD layers save parameters and MACs, the model runs, and Tucker-2 weights reconstruct as reported", async () => {
    const bytes = new Uint8Array(await readFile(await getFixtureModel("ppocr_det")));
    const original = decodeModel(bytes);
    const { artifacts, report } = await runPipeline({
      modelBytes: bytes,
      modelName: "ppocr_det.onnx",
      pipeline: findPreset("low-rank")!.pipeline,
      signal: new AbortController().signal,
      reportProgress: () => {},
      generatedDimSizes: DIMS,
      evalMaxBatches: 2,
      sensitivityMaxLayers: 0,
      latencyRuns: 3,
    });
    const compressed = artifacts.find((a) => a.name.endsWith(".compressed.onnx"))!;
    const lowRank = (report as { lowRank?: TLowRankReport }).lowRank!;
    const tucker = lowRank.layers.filter((l) => l.method === "tucker2");
    const svd = lowRank.layers.filter((l) => l.method === "svd");
    const ratio = compressed.bytes.byteLength / bytes.byteLength;
    console.info(`ppocr_det low-rank: size ratio ${ratio.toFixed(4)}, cosine ${report.fidelity?.cosine?.toFixed(4)}, ${tucker.length} Tucker-2 + ${svd.length} SVD layers`);
    expect(tucker.length).toBeGreaterThanOrEqual(4);
    expect(svd.length).toBeGreaterThan(5);
    for (const l of lowRank.layers) {
      expect(l.paramsAfter).toBeLessThanOrEqual(0.8 * l.paramsBefore);
      expect(l.macsAfter).toBeLessThanOrEqual(0.8 * l.macsBefore);
      expect(l.energyKept).toBeGreaterThan(0.7);
    }
    expect(lowRank.params.after).toBeLessThan(lowRank.params.before * 0.8);
    expect(ratio).toBeLessThan(0.8);
    expect(Number.isFinite(report.fidelity!.cosine)).toBe(true);

    const model = decodeModel(compressed.bytes);
    expect(model.graph!.input.map((i) => i.name)).toEqual(original.graph!.input.map((i) => i.name));
    const session = await createInferenceSession(compressed.bytes, { intraOpThreads: 1 });
    try {
      const out = await session.run(generateInputs(original, { dimSizes: DIMS, seed: 4 }));
      for (const t of Object.values(out)) expect((t.data as Float32Array).every(Number.isFinite)).toBe(true);
    } finally {
      await session.release();
    }

    // Per Tucker-2 layer: ‖W − Ŵ‖²/‖W‖² = 1 − energyKept (HOSVD projections are orthogonal).
    const before = new OnnxGraph(original.graph!);
    const after = new OnnxGraph(model.graph!);
    for (const l of tucker.slice(0, 6)) {
      const node = original.graph!.node.find((n) => (n.name || n.output[0]) === l.node)!;
      const w = readTensorAsFloat32(before.findConstant(node.input[1])!);
      const base = l.node.replace(/[^A-Za-z0-9_.-]/g, "_");
      const fin = readTensorAsFloat32(after.findConstant(`${base}_tucker_in`)!);
      const core = after.findConstant(`${base}_tucker_core`)!;
      const fout = readTensorAsFloat32(after.findConstant(`${base}_tucker_out`)!);
      const [ro, ri] = l.ranks;
      const [co, ci] = l.shape;
      const k = core.dims.slice(2).map(Number).reduce((a, b) => a * b, 1);
      const coreValues = readTensorAsFloat32(core);
      let err = 0;
      let norm = 0;
      for (let o = 0; o < co; o++)
        for (let c = 0; c < ci; c++)
          for (let s = 0; s < k; s++) {
            let v = 0;
            for (let a = 0; a < ro; a++) for (let b = 0; b < ri; b++) v += fout[o * ro + a] * coreValues[(a * ri + b) * k + s] * fin[b * ci + c];
            const x = w[(o * ci + c) * k + s];
            err += (x - v) ** 2;
            norm += x * x;
          }
      expect(err / norm).toBeCloseTo(1 - l.energyKept, 3);
    }
  });
});
