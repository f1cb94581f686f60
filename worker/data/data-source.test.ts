import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTensorInfo } from "../../contracts/report";
import { openDataSource, type TDataBatch, type TDataSource } from "./data-source";
import type { THostTensor } from "./host-tensor";
import { encodeNpy } from "./npy";
import { encodeNpz } from "./npz";
import { encodeTensorProto, readTensorProto } from "./tensor-proto-file";
import { TENSOR, createEmptyTensorProto, encodeProto } from "../onnx/onnx-proto";

const f32 = (dims: number[], fill: (i: number) => number = (i) => i): THostTensor => {
  const n = dims.reduce((a, b) => a * b, 1);
  return { dtype: "float32", dims, data: Float32Array.from({ length: n }, (_, i) => fill(i)) };
};
const i64 = (values: number[]): THostTensor => ({ dtype: "int64", dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) });

const IMAGE: TTensorInfo = { name: "x", elemType: "float32", shape: ["batch", 2, 3] };
const SR: TTensorInfo = { name: "sr", elemType: "int64", shape: [] };

async function collect(src: TDataSource, opts?: { maxBatches?: number }): Promise<TDataBatch[]> {
  const out: TDataBatch[] = [];
  for await (const b of src.batches(opts)) out.push(b);
  return out;
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "data-source-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(rel: string, bytes: Uint8Array): Promise<string> {
  const p = path.join(dir, rel);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, bytes);
  return p;
}

describe("openDataSource: .npz", () => {
  it("batches samples along axis 0, repeats constant inputs and slices labels alongside", async () => {
    const file = await put("a/data.npz", encodeNpz({ x: f32([7, 2, 3]), sr: { dtype: "int64", dims: [], data: new BigInt64Array([16000n]) }, labels: i64([0, 1, 2, 0, 1, 2, 0]) }));
    const src = await openDataSource(file, { modelInputs: [IMAGE, SR], batchSize: 3 });
    expect(src.source).toBe("user");
    expect(src.sampleCount).toBe(7);
    expect(src.hasLabels).toBe(true);
    expect(src.description).toMatch(/data\.npz \(7 samples, batches of up to 3, with labels\)/);
    const batches = await collect(src);
    expect(batches.map((b) => b.sampleCount)).toEqual([3, 3, 1]);
    expect(batches[1].feeds.x.dims).toEqual([3, 2, 3]);
    expect((batches[1].feeds.x.data as Float32Array)[0]).toBe(18); // row 3 starts at element 3*6
    expect(batches[2].feeds.sr.dims).toEqual([]);
    expect(Array.from(batches[2].feeds.sr.data as BigInt64Array)).toEqual([16000n]);
    expect(Array.from(batches[2].labels!.data as BigInt64Array)).toEqual([0n]);
    // re-iterable and maxBatches respected
    expect((await collect(src, { maxBatches: 1 })).length).toBe(1);
  });

  it("matches arr_0, arr_1 by position and a single array to a single input", async () => {
    const pos = await put("b/pos.npz", encodeNpz({ arr_0: f32([2, 2, 3]), arr_1: { dtype: "int64", dims: [], data: new BigInt64Array([8000n]) } }));
    const [b] = await collect(await openDataSource(pos, { modelInputs: [IMAGE, SR] }));
    expect(Object.keys(b.feeds).sort()).toEqual(["sr", "x"]);
    const single = await put("b/any-name.npz", encodeNpz({ images: f32([4, 2, 3]) }));
    const batches = await collect(await openDataSource(single, { modelInputs: [IMAGE], batchSize: 8 }));
    expect(batches.map((x) => x.sampleCount)).toEqual([4]);
  });

  it("uses the model's fixed batch size instead of the requested one", async () => {
    const file = await put("c/fixed.npz", encodeNpz({ x: f32([3, 2, 3]) }));
    const src = await openDataSource(file, { modelInputs: [{ name: "x", elemType: "float32", shape: [1, 2, 3] }], batchSize: 8 });
    expect((await collect(src)).map((b) => b.feeds.x.dims[0])).toEqual([1, 1, 1]);
  });
});

describe("openDataSource: folders", () => {
  it("reads a folder of .npy files named after the inputs with labels.npy", async () => {
    await put("d/x.npy", encodeNpy(f32([5, 2, 3], (i) => -i)));
    await put("d/sr.npy", encodeNpy({ dtype: "int64", dims: [], data: new BigInt64Array([16000n]) }));
    await put("d/labels.npy", encodeNpy({ dtype: "int32", dims: [5, 1], data: new Int32Array([4, 3, 2, 1, 0]) }));
    const src = await openDataSource(path.join(dir, "d"), { modelInputs: [IMAGE, SR], batchSize: 2 });
    expect(src.hasLabels).toBe(true);
    const batches = await collect(src);
    expect(batches.map((b) => b.sampleCount)).toEqual([2, 2, 1]);
    expect((batches[2].feeds.x.data as Float32Array)[5]).toBe(-29);
    expect(Array.from(batches[2].labels!.data as Int32Array)).toEqual([0]);
  });

  it("streams a folder of .npz chunks one after another", async () => {
    await put("e/part-0.npz", encodeNpz({ x: f32([2, 2, 3]) }));
    await put("e/part-1.npz", encodeNpz({ x: f32([3, 2, 3], () => 1) }));
    const src = await openDataSource(path.join(dir, "e"), { modelInputs: [IMAGE], batchSize: 4 });
    expect(src.sampleCount).toBe(5);
    expect((await collect(src)).map((b) => b.sampleCount)).toEqual([2, 3]);
  });

  it("reads the model-zoo layout with inputs by position and outputs as references", async () => {
    const sampleA = f32([1, 2, 3], () => 0.5);
    const raw = encodeTensorProto("", sampleA); // unnamed tensor: matched by position
    await put("zoo/test_data_set_0/input_0.pb", raw);
    await put("zoo/test_data_set_0/output_0.pb", encodeTensorProto("", f32([1, 4])));
    // float_data storage instead of raw_data, named after the input
    const p = createEmptyTensorProto("x");
    p.dims = [1, 2, 3];
    p.dataType = 1;
    p.floatData = new Float32Array([1, 2, 3, 4, 5, 6]);
    await put("zoo/test_data_set_1/input_0.pb", encodeProto(TENSOR, p));
    const src = await openDataSource(path.join(dir, "zoo"), {
      modelInputs: [{ name: "x", elemType: "float32", shape: [1, 2, 3] }],
      modelOutputs: [{ name: "y", elemType: "float32", shape: [1, 4] }],
    });
    const batches = await collect(src);
    expect(batches.length).toBe(2);
    expect(Array.from(batches[0].feeds.x.data as Float32Array)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(batches[0].references?.y.dims).toEqual([1, 4]);
    expect(Array.from(batches[1].feeds.x.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("reads a single .pb and a single .npy for single-input models", async () => {
    const pb = await put("f/input_0.pb", encodeTensorProto("x", f32([2, 2, 3])));
    expect((await collect(await openDataSource(pb, { modelInputs: [IMAGE] })))[0].feeds.x.dims).toEqual([2, 2, 3]);
    const npy = await put("f/whatever.npy", encodeNpy(f32([3, 2, 3])));
    expect((await collect(await openDataSource(npy, { modelInputs: [IMAGE], batchSize: 2 }))).map((b) => b.sampleCount)).toEqual([2, 1]);
  });
});

describe("openDataSource: errors name the input and say expected vs got", () => {
  it("wrong dtype", async () => {
    const file = await put("g/f64.npz", encodeNpz({ x: { dtype: "float64", dims: [1, 2, 3], data: new Float64Array(6) } }));
    await expect(openDataSource(file, { modelInputs: [IMAGE] })).rejects.toThrow(
      /input 'x' \(f64\.npz\): expected dtype float32, got float64 \(convert it, e\.g\. x\.astype\(numpy\.float32\)\)/,
    );
  });

  it("wrong rank and wrong static dim", async () => {
    const rank = await put("g/rank.npz", encodeNpz({ x: f32([2, 6]) }));
    await expect(openDataSource(rank, { modelInputs: [IMAGE] })).rejects.toThrow(/input 'x' \(rank\.npz\): expected rank 3 \(shape \[batch, 2, 3\], axis 0 = samples\), got shape \[2, 6\]/);
    const dim = await put("g/dim.npz", encodeNpz({ x: f32([2, 3, 3]) }));
    await expect(openDataSource(dim, { modelInputs: [IMAGE] })).rejects.toThrow(/expected shape \[batch, 2, 3\], got \[2, 3, 3\] \(axis 1 must be 2\)/);
  });

  it("missing input, unknown array, differing sample counts, bad labels", async () => {
    const missing = await put("h/missing.npz", encodeNpz({ x: f32([2, 2, 3]) }));
    await expect(openDataSource(missing, { modelInputs: [IMAGE, SR] })).rejects.toThrow(/no data for model input 'sr' \(int64 \[\]\)/);
    const extra = await put("h/extra.npz", encodeNpz({ x: f32([2, 2, 3]), y: f32([2, 2, 3]) }));
    await expect(openDataSource(extra, { modelInputs: [IMAGE] })).rejects.toThrow(/'y' match no model input \(the model's inputs are 'x'/);
    const counts = await put("h/counts.npz", encodeNpz({ x: f32([2, 2, 3]), m: { dtype: "float32", dims: [3, 4], data: new Float32Array(12) } }));
    await expect(
      openDataSource(counts, { modelInputs: [IMAGE, { name: "m", elemType: "float32", shape: ["batch", 4] }] }),
    ).rejects.toThrow(/different numbers of samples along axis 0 \('x': 2; 'm': 3\)/);
    const labels = await put("h/labels.npz", encodeNpz({ x: f32([2, 2, 3]), labels: i64([1, 2, 3]) }));
    await expect(openDataSource(labels, { modelInputs: [IMAGE] })).rejects.toThrow(/3 labels for 2 samples/);
    const floatLabels = await put("h/flabels.npz", encodeNpz({ x: f32([2, 2, 3]), labels: f32([2]) }));
    await expect(openDataSource(floatLabels, { modelInputs: [IMAGE] })).rejects.toThrow(/labels must be integer class ids, got dtype float32/);
  });

  it("bad paths and layouts", async () => {
    await expect(openDataSource(path.join(dir, "nope"), { modelInputs: [IMAGE] })).rejects.toThrow(/does not exist/);
    const txt = await put("i/data.csv", new TextEncoder().encode("1,2,3"));
    await expect(openDataSource(txt, { modelInputs: [IMAGE] })).rejects.toThrow(/unsupported data file type '\.csv'/);
    await expect(openDataSource(path.join(dir, "i"), { modelInputs: [IMAGE] })).rejects.toThrow(/no usable data found/);
    const npy = await put("i/x.npy", encodeNpy(f32([1, 2, 3])));
    await expect(openDataSource(npy.replace("x.npy", "x.npy"), { modelInputs: [{ ...IMAGE, name: "a" }, SR] })).rejects.toThrow(
      /the model has 2 inputs \('a', 'sr'\); give a folder with one \.npy per input, or a \.npz/,
    );
    const zoo = await put("j/test_data_set_0/input_0.pb", encodeTensorProto("", f32([1, 2, 2])));
    await expect(openDataSource(path.dirname(path.dirname(zoo)), { modelInputs: [{ name: "x", elemType: "float32", shape: [1, 2, 3] }] })).rejects.toThrow(
      /input 'x' \(test_data_set_0\/input_0\.pb\): expected shape \[1, 2, 3\], got \[1, 2, 2\]/,
    );
  });

  it("TensorProto files: truncated bytes and unsupported storage", () => {
    const good = encodeTensorProto("x", f32([2, 2]));
    expect(readTensorProto(good).tensor.dims).toEqual([2, 2]);
    expect(() => readTensorProto(good.subarray(0, good.length - 5), "t.pb")).toThrow(/t\.pb is not a usable TensorProto/);
    expect(() => readTensorProto(new Uint8Array(), "t.pb")).toThrow(/the file is empty/);
    const s = createEmptyTensorProto("s");
    s.dataType = 8; // string
    s.dims = [1];
    s.stringData = [new TextEncoder().encode("a")];
    expect(() => readTensorProto(encodeProto(TENSOR, s), "t.pb")).toThrow(/element type 8 is not supported/);
    const short = createEmptyTensorProto("f");
    short.dataType = 1;
    short.dims = [4];
    short.floatData = new Float32Array([1, 2]);
    expect(() => readTensorProto(encodeProto(TENSOR, short), "t.pb")).toThrow(/it holds 2 values, dims \[4\] need 4/);
  });
});
