/**
 * fp16 regressions on real fixtures: the PP-OCRv4 detector (BatchNorm variances ~1e8, beyond float16, were clamped
 * and the output collapsed to cosine ~0.8 on document pages) and silero VAD v5/v6 (untyped outputs of nested If
 * branches made onnxruntime reject the model: "If branch type mismatch").
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel } from "../../worker/onnx/model-io";
import type { TModelProto } from "../../worker/onnx/onnx-proto";
import { createInferenceSession, type TRuntimeTensor } from "../../worker/runtime/ort";
import { runFp16 } from "../../worker/passes/quantize";
import { computeCosine } from "../../worker/passes/quantize/testing/build-models";
import { createDocumentImage } from "../../worker/passes/quantize/testing/document-images";
import { getFixtureModel, type TFixtureModelName } from "../fixtures/fetch-models";

async function compareOutputs(original: Uint8Array, model: TModelProto, feeds: Record<string, TRuntimeTensor>): Promise<Record<string, number>> {
  const a = await createInferenceSession(original, { intraOpThreads: 1 });
  const b = await createInferenceSession(encodeModel(model), { intraOpThreads: 1 });
  try {
    const [ra, rb] = [await a.run(feeds), await b.run(feeds)];
    return Object.fromEntries(Object.entries(ra).map(([k, t]) => [k, computeCosine(t.data as Float32Array, rb[k].data as Float32Array)]));
  } finally {
    await a.release();
    await b.release();
  }
}

describe("fp16 on the public fixtures", () => {
  it("PP-OCRv4 detector: half the size and cosine > 0.9999 on document pages, nothing clamped", async () => {
    const bytes = new Uint8Array(await readFile(await getFixtureModel("ppocr_det")));
    const res = runFp16(decodeModel(bytes));
    expect(res.stats.clampedValues).toBe(0);
    expect(encodeModel(res.model).length / bytes.length).toBeLessThan(0.52);
    const cos = await compareOutputs(bytes, res.model, { x: createDocumentImage(11, 320, 320) });
    expect(cos["sigmoid_0.tmp_0"]).toBeGreaterThan(0.9999);
  });

  it.each(["silero_vad_v5", "silero_vad_v6"] as TFixtureModelName[])("%s (nested If branches) runs and matches float32", async (name) => {
    const bytes = new Uint8Array(await readFile(await getFixtureModel(name)));
    const res = runFp16(decodeModel(bytes));
    expect(res.stats.convertedInitializers).toBeGreaterThan(10);
    expect(encodeModel(res.model).length / bytes.length).toBeLessThan(0.8);
    const audio = Float32Array.from({ length: 512 }, (_, t) => 0.3 * Math.sin((2 * Math.PI * 300 * t) / 16000) + 0.05 * Math.sin(t * 1.7));
    const cos = await compareOutputs(bytes, res.model, {
      input: { type: "float32", dims: [1, 512], data: audio },
      state: { type: "float32", dims: [2, 1, 128], data: new Float32Array(256) },
      sr: { type: "int64", dims: [], data: BigInt64Array.of(16000n) },
    });
    expect(cos.output).toBeGreaterThan(0.9999);
    expect(cos.stateN).toBeGreaterThan(0.999);
  });
});
