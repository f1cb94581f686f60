/**
 * The quantization passes on the real public fixtures (RECIPE.md): fidelity (output cosine vs the float model in
 * onnxruntime) and size-ratio bounds, plus onnxruntime's fusion of the QDQ graph. No database or S3 involved:
 * the passes are pure model-in/model-out functions.
 */
import { readFile, mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel } from "../../worker/onnx/model-io";
import type { TModelProto } from "../../worker/onnx/onnx-proto";
import { createInferenceSession, type TRuntimeTensor } from "../../worker/runtime/ort";
import { runFp16, runInt4Weight, runInt8Dynamic, runInt8Static } from "../../worker/passes/quantize";
import { computeCosine, countOps, createRandomFeeds } from "../../worker/passes/quantize/testing/build-models";
import { createDocumentImage } from "../../worker/passes/quantize/testing/document-images";
import { getFixtureModel, type TFixtureModelName } from "../fixtures/fetch-models";

async function loadFixture(name: TFixtureModelName): Promise<{ bytes: Uint8Array; model: TModelProto }> {
  const bytes = new Uint8Array(await readFile(await getFixtureModel(name)));
  return { bytes, model: decodeModel(bytes) };
}

/** Lowest output cosine of `model` vs the float original over `feeds`. */
async function measureCosine(original: Uint8Array, model: TModelProto, feeds: Record<string, TRuntimeTensor>[], optimizedModelFilePath?: string): Promise<number> {
  const a = await createInferenceSession(original, { intraOpThreads: 1 });
  const b = await createInferenceSession(encodeModel(model), { intraOpThreads: 1, optimizedModelFilePath });
  let cosine = 1;
  try {
    for (const f of feeds) {
      const ra = await a.run(f);
      const rb = await b.run(f);
      for (const [k, t] of Object.entries(ra)) {
        if (t.type === "float32") cosine = Math.min(cosine, computeCosine(t.data as Float32Array, rb[k].data as Float32Array));
      }
    }
  } finally {
    await a.release();
    await b.release();
  }
  return cosine;
}

function sizeRatio(original: Uint8Array, model: TModelProto): number {
  return encodeModel(model).length / original.length;
}

describe("quantization passes on the public fixtures", () => {
  it("int8-static on the PP-OCRv4 detector: every Conv but the most sensitive fused to QLinearConv, cosine and size bounds", async () => {
    const { bytes, model } = await loadFixture("ppocr_det");
    async function* calibration() {
      for (let i = 0; i < 4; i++) yield { x: createDocumentImage(100 + i, 320, 320) };
    }
    const res = await runInt8Static(model, { calibration: calibration() });
    // The fidelity check keeps the few most sensitive layers in float (mixed precision, chosen by a per-layer
    // sensitivity scan), and says which.
    expect(res.stats.quantizedNodes.length).toBeGreaterThanOrEqual(50);
    expect(res.warnings.join("\n")).toMatch(/kept the \d+ most sensitive layers \(p2o\.Conv\.\d+/);
    expect(sizeRatio(bytes, res.model)).toBeLessThan(0.35);
    const optimized = path.join(await mkdtemp(path.join(os.tmpdir(), "det-int8-")), "opt.onnx");
    const cosine = await measureCosine(bytes, res.model, [{ x: createDocumentImage(7, 320, 320) }, { x: createDocumentImage(8, 320, 320) }], optimized);
    expect(cosine).toBeGreaterThan(0.99);
    const ops = countOps(decodeModel(new Uint8Array(await readFile(optimized))));
    expect(ops.QLinearConv).toBe(res.stats.quantizedNodes.length);
    // The head's Add and BatchNormalization are folded into its ConvTranspose (which stays float).
    expect(ops.BatchNormalization ?? 0).toBe(0);
  });

  it("int8-static on the PP-OCR classifier (opset 9, upgraded to 13)", async () => {
    const { bytes, model } = await loadFixture("ppocr_cls");
    async function* calibration() {
      for (let i = 0; i < 4; i++) yield { x: createDocumentImage(100 + i, 48, 192) };
    }
    const res = await runInt8Static(model, { calibration: calibration() });
    expect(sizeRatio(bytes, res.model)).toBeLessThan(0.47);
    expect(await measureCosine(bytes, res.model, [{ x: createDocumentImage(7, 48, 192) }])).toBeGreaterThan(0.97);
  });

  it("the PP-OCRv4 recognizer: int8-dynamic, int4-weight (RTN and GPTQ) and fp16 fidelity", async () => {
    const { bytes, model } = await loadFixture("ppocr_rec");
    const feeds = [{ x: createDocumentImage(7, 48, 320) }];
    const dyn = runInt8Dynamic(model);
    expect(dyn.stats.quantizedNodes.length).toBeGreaterThanOrEqual(8);
    expect(await measureCosine(bytes, dyn.model, feeds)).toBeGreaterThan(0.995);

    const rtn = await runInt4Weight(model);
    expect(rtn.stats.method).toBe("rtn");
    expect(countOps(rtn.model).MatMulNBits).toBe(rtn.stats.quantizedNodes.length);
    const rtnCos = await measureCosine(bytes, rtn.model, feeds);
    expect(rtnCos).toBeGreaterThan(0.9);
    async function* calibration() {
      for (let i = 0; i < 4; i++) yield { x: createDocumentImage(100 + i, 48, 320) };
    }
    const gptq = await runInt4Weight(model, { calibration: calibration() });
    expect(gptq.stats.method).toBe("gptq");
    const gptqCos = await measureCosine(bytes, gptq.model, feeds);
    expect(gptqCos).toBeGreaterThan(0.97);
    expect(gptqCos).toBeGreaterThan(rtnCos);

    const fp16 = runFp16(model);
    expect(sizeRatio(bytes, fp16.model)).toBeLessThan(0.51);
    expect(await measureCosine(bytes, fp16.model, feeds)).toBeGreaterThan(0.999);
  });

  it("fp16 on silero VAD (LSTM, weights inside If branches) keeps its float32 interface and outputs", async () => {
    const { bytes, model } = await loadFixture("silero_vad_legacy");
    const res = runFp16(model);
    expect(sizeRatio(bytes, res.model)).toBeLessThan(0.75);
    const base = createRandomFeeds("input", [1, 512], 3, 0.1);
    const state = () => ({ type: "float32" as const, dims: [2, 1, 64], data: Float32Array.from({ length: 128 }, (_, i) => Math.sin(i) * 0.1) });
    const feeds = { ...base, sr: { type: "int64" as const, dims: [], data: BigInt64Array.of(16000n) }, h: state(), c: state() };
    expect(await measureCosine(bytes, res.model, [feeds])).toBeGreaterThan(0.999);
    // Its Convs live inside If branches (weights partly outer-scope initializers). Calibrated on 16 kHz only: the
    // 16 kHz branch is quantized, the 8 kHz branch stays float and the warning says why. Its LSTM inputs come
    // through Transposes that nested Ifs read implicitly: no DQ may feed those (onnxruntime aborts otherwise).
    async function* calibration() {
      yield feeds;
    }
    const st = await runInt8Static(model, { calibration: calibration(), fidelityTarget: 0 });
    expect(st.stats.quantizedNodes.length).toBeGreaterThanOrEqual(15);
    expect(st.warnings.join("\n")).toMatch(/layers stay float because their inputs were never reached by the calibration data/);
    expect(await measureCosine(bytes, st.model, [feeds])).toBeGreaterThan(0.98);
  });
});
