import { describe, expect, it } from "vitest";
import { DTYPE } from "../onnx/dtypes";
import { createEmptyGraphProto, createTensorValueInfo, type TModelProto } from "../onnx/onnx-proto";
import { DEFAULT_IMAGE_DIM_SIZE, createGeneratedDataSource, inferGeneratedDimSizes } from "./generated-source";

function modelWithInputs(inputs: ReturnType<typeof createTensorValueInfo>[]): TModelProto {
  const g = createEmptyGraphProto("g");
  g.input.push(...inputs);
  return { irVersion: 8, opsetImport: [{ domain: "", version: 17 }], graph: g, metadataProps: [], trainingInfo: [], functions: [] };
}

describe("createGeneratedDataSource", () => {
  it("sizes batch 1 and image H/W instead of 1x1 pixels; explicit sizes win", () => {
    const m = modelWithInputs([createTensorValueInfo("x", DTYPE.FLOAT, ["n", 3, "h", "w"]), createTensorValueInfo("len", DTYPE.INT64, ["n", "t"])]);
    expect(inferGeneratedDimSizes(m)).toEqual({ n: 1, h: DEFAULT_IMAGE_DIM_SIZE, w: DEFAULT_IMAGE_DIM_SIZE });
    expect(inferGeneratedDimSizes(m, { w: 192 })).toEqual({ n: 1, h: DEFAULT_IMAGE_DIM_SIZE, w: 192 });
  });

  it("yields deterministic, different batches and describes itself as generated", async () => {
    const m = modelWithInputs([createTensorValueInfo("x", DTYPE.FLOAT, ["n", 3, "h", "w"])]);
    const src = createGeneratedDataSource(m, { batchCount: 2, dimSizes: { h: 4, w: 5 } });
    expect(src.source).toBe("generated");
    expect(src.hasLabels).toBe(false);
    expect(src.description).toMatch(/^2 batches generated from the model signature.*x: float32\[1,3,4,5\]/);
    const seen: Float32Array[] = [];
    for await (const b of src.batches()) seen.push(b.feeds.x.data as Float32Array);
    expect(seen).toHaveLength(2);
    expect(seen[0].length).toBe(60);
    expect(Array.from(seen[0])).not.toEqual(Array.from(seen[1]));
    const again: Float32Array[] = [];
    for await (const b of src.batches({ maxBatches: 1 })) again.push(b.feeds.x.data as Float32Array);
    expect(Array.from(again[0])).toEqual(Array.from(seen[0]));
  });
});
