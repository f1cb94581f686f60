/**
 * Generated data for image models (no user data): 3-channel image inputs get synthetic document pages, not noise.
 * On N(0,1) noise the PP-OCRv4 detector answers ~0 everywhere, so calibration ranges and fidelity measured on it
 * mean little; on the generated pages it finds text, as on real ones.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { createGeneratedDataSource } from "../../worker/data/generated-source";
import { decodeModel } from "../../worker/onnx/model-io";
import { createInferenceSession } from "../../worker/runtime/ort";
import { getFixtureModel } from "../fixtures/fetch-models";

describe("generated inputs for image models", () => {
  it("feeds the PP-OCRv4 detector document pages it responds to, and says so", async () => {
    const bytes = new Uint8Array(await readFile(await getFixtureModel("ppocr_det")));
    const model = decodeModel(bytes);
    const dimSizes = { "p2o.DynamicDimension.1": 160, "p2o.DynamicDimension.2": 160 };
    const pages = createGeneratedDataSource(model, { batchCount: 2, dimSizes });
    const noise = createGeneratedDataSource(model, { batchCount: 1, dimSizes, imageInputs: "noise" });
    expect(pages.description).toMatch(/image inputs x are synthetic document pages/);
    expect(noise.description).not.toMatch(/document/);
    const session = await createInferenceSession(bytes, { intraOpThreads: 1 });
    const textFraction = async (src: typeof pages) => {
      const fractions: number[] = [];
      for await (const b of src.batches()) {
        const x = b.feeds.x;
        const out = (await session.run({ x: { type: "float32", dims: x.dims, data: x.data } }))["sigmoid_0.tmp_0"].data as Float32Array;
        fractions.push(out.filter((v) => v > 0.3).length / out.length);
      }
      return fractions;
    };
    try {
      const [a, b] = await textFraction(pages);
      // Text regions cover a good part of a generated page; two seeds give two different pages.
      expect(a).toBeGreaterThan(0.05);
      expect(b).toBeGreaterThan(0.05);
      expect(a).not.toBe(b);
      const [n] = await textFraction(noise);
      expect(n).toBeLessThan(0.01);
    } finally {
      await session.release();
    }
  });
});
