/**
 * The cluster preset on the real PP-OCR classifier through the pipeline runner: k = 16 reaches the file-size
 * target (≤ 0.3 of fp32, before any gzip), the artifact runs with the original inputs/outputs, and every clustered
 * weight that onnxruntime decodes in the graph equals codebook[index] · scale[channel] exactly, with the indices read
 * back from the single packed 4-bit tensor.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { findPreset } from "../../contracts/pipeline";
import { generateInputs } from "../../worker/data/generate-inputs";
import { DTYPE, readTensorAsFloat32, readTensorValues } from "../../worker/onnx/dtypes";
import { decodeModel, encodeModel } from "../../worker/onnx/model-io";
import { createTensorValueInfo } from "../../worker/onnx/onnx-proto";
import type { TClusterReport } from "../../worker/passes/cluster/cluster";
import { runPipeline } from "../../worker/pipeline/run-pipeline";
import { createInferenceSession } from "../../worker/runtime/ort";
import { getFixtureModel } from "../fixtures/fetch-models";

const DIMS = { "p2o.DynamicDimension.1": 48, "p2o.DynamicDimension.2": 192 };

describe("cluster preset on ppocr_cls", () => {
  it("k = 16: size ratio ≤ 0.3, runs, and every decoded weight is exactly its centroid", async () => {
    const bytes = new Uint8Array(await readFile(await getFixtureModel("ppocr_cls")));
    const { artifacts, report } = await runPipeline({
      modelBytes: bytes,
      modelName: "ppocr_cls.onnx",
      pipeline: findPreset("cluster")!.pipeline,
      signal: new AbortController().signal,
      reportProgress: () => {},
      generatedDimSizes: DIMS,
    });
    const compressed = artifacts.find((a) => a.name.endsWith(".compressed.onnx"))!;
    const ratio = compressed.bytes.byteLength / bytes.byteLength;
    const cluster = (report as { cluster?: TClusterReport }).cluster!;
    console.info(`ppocr_cls cluster k=16: size ratio ${ratio.toFixed(4)}, cosine ${report.fidelity?.cosine?.toFixed(4)}, ${cluster.layers.length} weights, ${cluster.batchNormsFolded} BN folded`);
    expect(ratio).toBeLessThanOrEqual(0.3);
    expect(cluster.settings).toEqual(expect.objectContaining({ k: 16, indexBits: 4, granularity: "scaled" }));
    expect(cluster.layers.length).toBeGreaterThan(30);
    expect(cluster.batchNormsFolded).toBeGreaterThan(20);
    expect(report.fidelity!.cosine).toBeGreaterThan(0.9);

    const model = decodeModel(compressed.bytes);
    const original = decodeModel(bytes);
    expect(model.graph!.input.map((i) => i.name)).toEqual(original.graph!.input.map((i) => i.name));
    expect(model.graph!.output.map((o) => o.name)).toEqual(original.graph!.output.map((o) => o.name));

    // Indices from the packed tensor, in the order the weights were clustered (report order).
    const init = new Map(model.graph!.initializer.map((t) => [t.name, t]));
    const packed = readTensorValues(init.get("cluster_idx4")!) as Uint8Array;
    const tail = init.has("cluster_idx_tail") ? (readTensorValues(init.get("cluster_idx_tail")!) as Uint8Array)[0] : undefined;
    const half = packed.length;
    const indexAt = (i: number) => (i < half ? packed[i] >> 4 : i < 2 * half ? packed[i - half] & 15 : tail!);
    // Decoded weights as onnxruntime computes them: the weight values made graph outputs.
    const probe = structuredClone(model);
    probe.graph!.output = cluster.layers.map((l) => createTensorValueInfo(l.weight, DTYPE.FLOAT, []));
    const session = await createInferenceSession(encodeModel(probe), { intraOpThreads: 1 });
    try {
      const decoded = await session.run(generateInputs(original, { dimSizes: DIMS, seed: 3 }));
      let offset = 0;
      let checked = 0;
      for (const l of cluster.layers) {
        const base = l.weight.replace(/[^A-Za-z0-9_.-]/g, "_");
        const codebook = readTensorAsFloat32(init.get(`${base}_cluster_codebook`)!);
        const scale = init.get(`${base}_cluster_scale`);
        const scales = scale ? readTensorAsFloat32(scale) : undefined;
        const values = decoded[l.weight].data as Float32Array;
        const dims = decoded[l.weight].dims;
        expect(values.length).toBe(l.elements);
        // The scale tensor has the weight's rank with the channel axis (0 for Conv, the last for MatMul) kept.
        const axis = scale ? scale.dims.map(Number).findIndex((d, a) => d === dims[a] && d > 1) : -1;
        const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
        for (let i = 0; i < values.length; i++) {
          const c = codebook[indexAt(offset + i)];
          const want = scales ? Math.fround(c * scales[Math.floor(i / inner) % dims[axis]]) : c;
          if (values[i] !== want) expect({ weight: l.weight, i, got: values[i], want }).toBeUndefined();
        }
        offset += l.elements;
        checked += values.length;
      }
      expect(offset).toBe(2 * half + (tail === undefined ? 0 : 1));
      expect(checked).toBeGreaterThan(100_000);
    } finally {
      await session.release();
    }
  });
});
