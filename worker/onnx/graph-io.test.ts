import { mkdir, mkdtemp, readFile, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { AppError } from "../../contracts/app-error";
import { analyzeModel } from "../passes/analyze/analyze-model";
import { DTYPE, createTensor, float16BitsToNumber, numberToFloat16Bits, numberToMiniFloatBits, readTensorAsFloat32 } from "./dtypes";
import { loadExternalData, resolveExternalDataPath, saveModelWithExternalData } from "./external-data";
import { OnnxGraph, findConstantTensor, forEachGraph, sortNodesTopologically } from "./graph";
import { inspectOnnxStream } from "./inspect-onnx-stream";
import { decodeModel, encodeModel } from "./model-io";
import { DATA_LOCATION, createEmptyGraphProto, createNodeProto, createTensorValueInfo } from "./onnx-proto";
import { summarizeModel } from "./tensor-info";
import { buildAddModel, buildIfModel } from "./tiny-models.test-helper";

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected rejection");
}

describe("graph wrapper", () => {
  test("constants are found inside If branches and counted by analyze", () => {
    const model = buildIfModel();
    const hit = findConstantTensor(model, "else_w");
    expect(hit?.source).toBe("constant-node");
    expect(Array.from(readTensorAsFloat32(hit!.tensor))).toEqual([10, 20, 30]);
    const depths: number[] = [];
    forEachGraph(model, (_g, ctx) => depths.push(ctx.depth));
    expect(depths).toEqual([0, 1, 1]);
    const a = analyzeModel(model);
    expect(a.nodeCount).toBe(5);
    expect(a.opHistogram).toMatchObject({ Constant: 2, If: 1, Mul: 1, Add: 1 });
    expect(a.parameters).toEqual({ count: 6, bytes: 24, byDtype: { float32: { count: 6, bytes: 24 } } });
  });

  test("a node reading an outer value from its subgraph counts as its consumer; rename reaches the subgraph", () => {
    const model = buildIfModel();
    const g = new OnnxGraph(model.graph!);
    expect(g.getConsumers("x").map((n) => n.name)).toEqual(["if0"]);
    g.renameValue("x", "x2");
    const thenBranch = model.graph!.node[0].attribute[0].g!;
    expect(thenBranch.node[1].input).toEqual(["x2", "then_w"]);
    expect(model.graph!.input[0].name).toBe("x2");
  });

  test("topological sort restores order and keeps sorted graphs unchanged", () => {
    const g = createEmptyGraphProto("g");
    const a = createNodeProto("Relu", ["x"], ["a"], { name: "A" });
    const b = createNodeProto("Relu", ["a"], ["b"], { name: "B" });
    const c = createNodeProto("Add", ["a", "b"], ["c"], { name: "C" });
    g.node = [c, b, a];
    expect(sortNodesTopologically(g).map((n) => n.name)).toEqual(["A", "B", "C"]);
    g.node = [a, b, c];
    expect(sortNodesTopologically(g).map((n) => n.name)).toEqual(["A", "B", "C"]);
  });

  test("a cyclic graph gives a clear error naming a node on the cycle", () => {
    const g = createEmptyGraphProto("g");
    g.node = [createNodeProto("Relu", ["c"], ["a"], { name: "A" }), createNodeProto("Relu", ["a"], ["b"], { name: "B" }), createNodeProto("Relu", ["b"], ["c"], { name: "C" })];
    let err: unknown;
    try {
      sortNodesTopologically(g);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).userMessage).toMatch(/^the graph has a cycle through node "[ABC]" \(Relu\)/);
  });
});

describe("external data", () => {
  test("save with external data, load back: same values, in-memory model unchanged", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "condense-ext-"));
    const values = Array.from({ length: 600 }, (_, i) => i * 0.5);
    const model = buildAddModel(createTensor("w", DTYPE.FLOAT, [200, 3], values));
    const saved = await saveModelWithExternalData(model, dir, { modelFileName: "m.onnx" });
    expect(saved.externalTensors).toBe(1);
    expect(model.graph!.initializer[0].dataLocation).toBeUndefined();
    const loaded = decodeModel(new Uint8Array(await readFile(saved.modelPath)));
    expect(loaded.graph!.initializer[0].dataLocation).toBe(DATA_LOCATION.EXTERNAL);
    expect(await loadExternalData(loaded, dir)).toBe(1);
    expect(Array.from(readTensorAsFloat32(loaded.graph!.initializer[0]))).toEqual(values);
  });

  test("paths outside the bundle folder are refused: .., absolute, symlink, missing, out-of-range", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "condense-ext-"));
    const bundle = path.join(root, "bundle");
    await mkdir(bundle);
    await writeFile(path.join(root, "secret.bin"), new Uint8Array(64));
    await writeFile(path.join(bundle, "ok.bin"), new Uint8Array(8));
    await symlink(path.join(root, "secret.bin"), path.join(bundle, "link.bin"));
    expect((await rejection(resolveExternalDataPath(bundle, "../secret.bin", "w"))).userMessage).toMatch(/"\.\." is not allowed/);
    expect((await rejection(resolveExternalDataPath(bundle, "sub/../../secret.bin", "w"))).userMessage).toMatch(/"\.\." is not allowed/);
    expect((await rejection(resolveExternalDataPath(bundle, "/etc/passwd", "w"))).userMessage).toMatch(/absolute paths are not allowed/);
    expect((await rejection(resolveExternalDataPath(bundle, "C:\\x.bin", "w"))).userMessage).toMatch(/absolute paths are not allowed/);
    expect((await rejection(resolveExternalDataPath(bundle, "link.bin", "w"))).userMessage).toMatch(/symbolic links are not allowed/);
    expect((await rejection(resolveExternalDataPath(bundle, "nope.bin", "w"))).userMessage).toMatch(/missing from the upload/);
    const model = buildAddModel(createTensor("w", DTYPE.FLOAT, [2, 3], [1, 2, 3, 4, 5, 6]));
    const t = model.graph!.initializer[0];
    t.rawData = undefined;
    t.dataLocation = DATA_LOCATION.EXTERNAL;
    t.externalData = [{ key: "location", value: "ok.bin" }, { key: "offset", value: "0" }];
    expect((await rejection(loadExternalData(model, bundle))).userMessage).toMatch(/reads bytes 0\.\.24 of "ok.bin", which has only 8 bytes/);
  });
});

describe("inspectOnnxStream", () => {
  const model = buildIfModel();
  const bytes = encodeModel(model);
  async function* chunked(b: Uint8Array, size: number) {
    for (let i = 0; i < b.length; i += size) yield b.slice(i, i + size);
  }

  test("one-byte chunks give the same summary as the full decode", async () => {
    expect(await inspectOnnxStream(chunked(bytes, 1), { maxBytes: 1e6 })).toEqual(summarizeModel(decodeModel(bytes)));
  });

  test("IR<4 style: initializers listed as inputs are not reported as inputs", async () => {
    const m = buildAddModel(createTensor("w", DTYPE.FLOAT, [1, 3], [1, 2, 3]));
    m.graph!.input.push(createTensorValueInfo("w", DTYPE.FLOAT, [1, 3]));
    const s = await inspectOnnxStream(chunked(encodeModel(m), 7), { maxBytes: 1e6 });
    expect(s.inputs.map((i) => i.name)).toEqual(["x"]);
    expect(s.initializerCount).toBe(1);
  });

  test("empty, truncated, not ONNX, too large", async () => {
    expect((await rejection(inspectOnnxStream(chunked(new Uint8Array(), 1), { maxBytes: 10 }))).userMessage).toBe("the model is empty (0 bytes)");
    expect((await rejection(inspectOnnxStream(chunked(bytes.subarray(0, bytes.length - 5), 3), { maxBytes: 1e6 }))).userMessage).toMatch(/truncated|no opset/);
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    expect((await rejection(inspectOnnxStream(chunked(png, 4), { maxBytes: 1e6 }))).userMessage).toBe("the file is not an ONNX model: it looks like a PNG image");
    const tooBig = await rejection(inspectOnnxStream(chunked(bytes, 16), { maxBytes: 32 }));
    expect(tooBig.code).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("low-precision dtypes", () => {
  test("float16 round trip and rounding", () => {
    for (const v of [0, 1, -2.5, 65504, 6.103515625e-5, 5.960464477539063e-8]) expect(float16BitsToNumber(numberToFloat16Bits(v))).toBe(v);
    expect(float16BitsToNumber(numberToFloat16Bits(1e6))).toBe(Infinity);
    expect(float16BitsToNumber(numberToFloat16Bits(1 + 2 ** -11))).toBe(1); // tie to even
  });

  test("float8/float4 encodings saturate at their largest finite value", () => {
    const e4m3 = createTensor("f8", DTYPE.FLOAT8E4M3FN, [4], [448, 1000, -0.5, 0.3]);
    expect(Array.from(readTensorAsFloat32(e4m3))).toEqual([448, 448, -0.5, 0.3125]);
    const e5m2 = createTensor("f8", DTYPE.FLOAT8E5M2, [2], [57344, 1.5]);
    expect(Array.from(readTensorAsFloat32(e5m2))).toEqual([57344, 1.5]);
    const f4 = createTensor("f4", DTYPE.FLOAT4E2M1, [3], [6, -1.5, 100]);
    expect(Array.from(readTensorAsFloat32(f4))).toEqual([6, -1.5, 6]);
    expect(numberToMiniFloatBits(DTYPE.FLOAT8E4M3FNUZ, NaN)).toBe(0x80);
    const bf = createTensor("bf", DTYPE.BFLOAT16, [2], [1, -3.140625]);
    expect(Array.from(readTensorAsFloat32(bf))).toEqual([1, -3.140625]);
  });
});
