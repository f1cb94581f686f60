import { describe, expect, test } from "vitest";
import { AppError } from "../../contracts/app-error";
import { createInferenceSession } from "../runtime/ort";
import { DTYPE, createTensor, readTensorAsFloat32, readTensorValues } from "./dtypes";
import { decodeModel, encodeModel } from "./model-io";
import { ATTRIBUTE_TYPE, createEmptyTensorProto, createTensorValueInfo, createNodeProto, type TTensorProto } from "./onnx-proto";
import { ProtobufWriter } from "./protobuf-writer";
import { WIRE } from "./protobuf-reader";
import { buildAddModel, buildIfModel } from "./tiny-models.test-helper";

function catchAppError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected an AppError");
}

/** Runs y = x + w in onnxruntime with x = 0, so y is w's values as the runtime read them. */
async function runtimeWeightValues(weight: TTensorProto): Promise<number[]> {
  const model = buildAddModel(weight);
  model.graph!.input[0] = createTensorValueInfo("x", weight.dataType!, weight.dims);
  model.graph!.output[0] = createTensorValueInfo("y", weight.dataType!, weight.dims);
  const bytes = encodeModel(decodeModel(encodeModel(model)));
  const session = await createInferenceSession(bytes, { intraOpThreads: 1 });
  const n = weight.dims.reduce((a, b) => a * b, 1);
  const type = weight.dataType === DTYPE.DOUBLE ? "float64" : weight.dataType === DTYPE.INT64 ? "int64" : weight.dataType === DTYPE.INT32 ? "int32" : weight.dataType === DTYPE.UINT32 ? "uint32" : weight.dataType === DTYPE.INT8 ? "int8" : "float32";
  const zeros =
    type === "float64" ? new Float64Array(n) : type === "int64" ? new BigInt64Array(n) : type === "int32" ? new Int32Array(n) : type === "uint32" ? new Uint32Array(n) : type === "int8" ? new Int8Array(n) : new Float32Array(n);
  const out = await session.run({ x: { type, dims: weight.dims, data: zeros } });
  await session.release();
  return Array.from(out.y.data as ArrayLike<number | bigint>, Number);
}

describe("every TensorProto storage field survives decode→encode and reads like onnxruntime reads it", () => {
  const values = [1.5, -2, 3.25, 0, 7, -8];
  const cases: [string, () => TTensorProto][] = [
    ["raw_data float32", () => createTensor("w", DTYPE.FLOAT, [2, 3], values)],
    ["float_data", () => ({ ...createEmptyTensorProto("w"), dataType: DTYPE.FLOAT, dims: [2, 3], floatData: Float32Array.from(values) })],
    ["double_data", () => ({ ...createEmptyTensorProto("w"), dataType: DTYPE.DOUBLE, dims: [2, 3], doubleData: Float64Array.from(values) })],
    ["int32_data (int32)", () => ({ ...createEmptyTensorProto("w"), dataType: DTYPE.INT32, dims: [2, 3], int32Data: Int32Array.from([1, -2, 3, 0, 7, -8]) })],
    ["int32_data (int8)", () => ({ ...createEmptyTensorProto("w"), dataType: DTYPE.INT8, dims: [2, 3], int32Data: Int32Array.from([1, -2, 3, 0, 7, -8]) })],
    ["int64_data", () => ({ ...createEmptyTensorProto("w"), dataType: DTYPE.INT64, dims: [2, 3], int64Data: BigInt64Array.from([1n, -2n, 3n, 0n, 7n, -8n]) })],
    ["uint64_data (uint32)", () => ({ ...createEmptyTensorProto("w"), dataType: DTYPE.UINT32, dims: [2, 3], uint64Data: BigUint64Array.from([1n, 2n, 3n, 0n, 7n, 8n]) })],
  ];
  for (const [label, make] of cases) {
    test(label, async () => {
      const t = make();
      const expected = Array.from(readTensorAsFloat32(t));
      const decoded = decodeModel(encodeModel(buildAddModel(t))).graph!.initializer[0];
      expect(Array.from(readTensorAsFloat32(decoded))).toEqual(expected);
      expect(await runtimeWeightValues(t)).toEqual(expected);
    });
  }

  test("float16 in int32_data and raw_data, int4 packed two per byte, bool and string tensors", () => {
    const f16 = createTensor("h", DTYPE.FLOAT16, [3], [1, -0.5, 65504]);
    const asInt32: TTensorProto = { ...createEmptyTensorProto("h"), dataType: DTYPE.FLOAT16, dims: [3], int32Data: Int32Array.from(readTensorValues(f16) as Uint16Array) };
    expect(Array.from(readTensorAsFloat32(asInt32))).toEqual([1, -0.5, 65504]);
    const i4 = createTensor("q", DTYPE.INT4, [5], [-8, 7, -1, 0, 3]);
    expect(i4.rawData!.length).toBe(3);
    const back = decodeModel(encodeModel(buildAddModel(i4))).graph!.initializer[0];
    expect(Array.from(readTensorValues(back) as ArrayLike<number | bigint>)).toEqual([-8, 7, -1, 0, 3]);
    const i4int32: TTensorProto = { ...createEmptyTensorProto("q"), dataType: DTYPE.INT4, dims: [5], int32Data: Int32Array.from(i4.rawData!) };
    expect(Array.from(readTensorValues(i4int32) as ArrayLike<number | bigint>)).toEqual([-8, 7, -1, 0, 3]);
    const b: TTensorProto = { ...createEmptyTensorProto("b"), dataType: DTYPE.BOOL, dims: [3], int32Data: Int32Array.from([1, 0, 1]) };
    expect(Array.from(readTensorValues(b) as ArrayLike<number | bigint>)).toEqual([1, 0, 1]);
    const s = createTensor("s", DTYPE.STRING, [2], ["héllo", ""]);
    const sBack = decodeModel(encodeModel(buildAddModel(s))).graph!.initializer[0];
    expect(sBack.stringData.map((x) => new TextDecoder().decode(x))).toEqual(["héllo", ""]);
  });

  test("a value count that does not match the shape is a clear error", () => {
    const t: TTensorProto = { ...createEmptyTensorProto("w"), dataType: DTYPE.FLOAT, dims: [2, 3], floatData: Float32Array.from([1, 2]) };
    expect(catchAppError(() => readTensorAsFloat32(t)).userMessage).toMatch(/tensor "w" is malformed: it has 2 values but its shape \[2, 3\] needs 6/);
    const raw = createTensor("r", DTYPE.FLOAT, [2], [1, 2]);
    raw.dims = [4];
    expect(catchAppError(() => readTensorAsFloat32(raw)).userMessage).toMatch(/8 bytes of data but its shape \[4\] needs 16/);
  });

  test("huge declared dims are refused without allocating", () => {
    const t = createTensor("w", DTYPE.FLOAT, [1], [1]);
    t.dims = [2 ** 40, 2 ** 40];
    expect(catchAppError(() => readTensorAsFloat32(t)).userMessage).toMatch(/impossibly large shape/);
    // A dim past 2^53 in the file itself is rejected while decoding.
    const w = new ProtobufWriter();
    w.fork(7).fork(5).tag(1, WIRE.VARINT).int64(2n ** 62n).ldelim().ldelim();
    w.fork(8).tag(2, WIRE.VARINT).uint(17).ldelim();
    w.tag(1, WIRE.VARINT).uint(8);
    expect(catchAppError(() => decodeModel(w.finish())).userMessage).toMatch(/not an ONNX model: invalid protobuf data \(integer at byte \d+ is too large/);
  });
});

describe("round trip preserves what the engine does not touch", () => {
  test("unknown fields at every level come back byte-identical", () => {
    const model = buildIfModel();
    model.docString = "doc";
    model.metadataProps.push({ key: "author", value: "me" });
    const unknownA = new ProtobufWriter().tag(99, WIRE.LDELIM).string("future").finish();
    const unknownB = new ProtobufWriter().tag(50, WIRE.VARINT).uint(12345).finish();
    model.unknownFields = [unknownB];
    model.graph!.node[0].unknownFields = [unknownA];
    model.graph!.node[0].attribute[0].g!.unknownFields = [unknownB];
    const bytes = encodeModel(model);
    const decoded = decodeModel(bytes);
    expect(decoded.unknownFields?.map((u) => Array.from(u))).toEqual([Array.from(unknownB)]);
    expect(decoded.graph!.node[0].unknownFields?.map((u) => Array.from(u))).toEqual([Array.from(unknownA)]);
    expect(decoded.graph!.node[0].attribute[0].g!.unknownFields).toHaveLength(1);
    expect(decoded.metadataProps).toEqual([{ key: "author", value: "me" }]);
    expect(Buffer.from(encodeModel(decoded)).equals(Buffer.from(bytes))).toBe(true);
  });

  test("raw_data is a zero-copy view into the input buffer", () => {
    const bytes = encodeModel(buildAddModel(createTensor("w", DTYPE.FLOAT, [2, 3], [1, 2, 3, 4, 5, 6])));
    const raw = decodeModel(bytes).graph!.initializer[0].rawData!;
    expect(raw.buffer).toBe(bytes.buffer);
  });

  test("attributes of every kind round trip (ints beyond 2^53, floats, strings, graphs, tensors, type protos)", () => {
    const node = createNodeProto("Custom", ["x"], ["y"], { domain: "test.domain" });
    node.attribute.push(
      { name: "i", type: ATTRIBUTE_TYPE.INT, i: 2n ** 63n - 1n, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] },
      { name: "ints", type: ATTRIBUTE_TYPE.INTS, ints: [-1n, 5n, -(2n ** 63n)], floats: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] },
      { name: "floats", type: ATTRIBUTE_TYPE.FLOATS, floats: [0.5, -1.25], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] },
      { name: "tp", type: ATTRIBUTE_TYPE.TYPE_PROTO, tp: { sequenceType: { elemType: { tensorType: { elemType: DTYPE.FLOAT } } } }, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] },
      {
        name: "sp",
        type: ATTRIBUTE_TYPE.SPARSE_TENSOR,
        sparseTensor: { dims: [10], values: createTensor("v", DTYPE.FLOAT, [2], [1, 2]), indices: createTensor("i", DTYPE.INT64, [2], [1, 7]) },
        floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [],
      },
    );
    const model = buildIfModel();
    model.graph!.node.push(node);
    const back = decodeModel(encodeModel(model)).graph!.node[1];
    expect(back.attribute[0].i).toBe(2n ** 63n - 1n);
    expect(back.attribute[1].ints).toEqual([-1n, 5n, -(2n ** 63n)]);
    expect(back.attribute[2].floats).toEqual([0.5, -1.25]);
    expect(back.attribute[3].tp?.sequenceType?.elemType?.tensorType?.elemType).toBe(DTYPE.FLOAT);
    expect(Array.from(readTensorValues(back.attribute[4].sparseTensor!.indices!) as ArrayLike<number | bigint>)).toEqual([1n, 7n]);
    expect(back.domain).toBe("test.domain");
  });
});

describe("malformed files get a message a user understands", () => {
  const good = encodeModel(buildAddModel(createTensor("w", DTYPE.FLOAT, [2, 3], [1, 2, 3, 4, 5, 6])));

  test("empty", () => {
    expect(catchAppError(() => decodeModel(new Uint8Array())).userMessage).toBe("the model is empty (0 bytes)");
  });

  test("truncated at every position is an error, never a crash or a silent partial model", () => {
    for (let cut = 1; cut < good.length; cut++) {
      const err = catchAppError(() => decodeModel(good.subarray(0, cut)));
      expect(err.code).toBe("UNPROCESSABLE");
      expect(err.userMessage).toMatch(/truncated|not an ONNX model|no opset/);
    }
    expect(catchAppError(() => decodeModel(good.subarray(0, good.length - 3))).userMessage).toMatch(/^the model file is truncated \(/);
  });

  test("wrong magic: PNG, zip, text", () => {
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13);
    expect(catchAppError(() => decodeModel(png)).userMessage).toBe("the file is not an ONNX model: it looks like a PNG image");
    const zip = Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0);
    expect(catchAppError(() => decodeModel(zip)).userMessage).toMatch(/not an ONNX model: it looks like a zip archive/);
    const text = new TextEncoder().encode("hello world, this is not a model\n");
    expect(catchAppError(() => decodeModel(text)).userMessage).toMatch(/^the file is not an ONNX model: /);
  });

  test("over maxBytes", () => {
    const err = catchAppError(() => decodeModel(good, { maxBytes: 10 }));
    expect(err.code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("graphs nested deeper than the limit are refused, not a stack overflow", () => {
    let inner = new ProtobufWriter().tag(2, WIRE.LDELIM).string("leaf").finish();
    for (let i = 0; i < 150; i++) {
      // GraphProto.node(1) → NodeProto.attribute(5) → AttributeProto.g(6) → GraphProto ...
      const attr = new ProtobufWriter().tag(6, WIRE.LDELIM).bytes(inner).finish();
      const node = new ProtobufWriter().tag(5, WIRE.LDELIM).bytes(attr).finish();
      inner = new ProtobufWriter().tag(1, WIRE.LDELIM).bytes(node).finish();
    }
    const model = new ProtobufWriter().tag(1, WIRE.VARINT).uint(8).tag(7, WIRE.LDELIM).bytes(inner).finish();
    expect(catchAppError(() => decodeModel(model)).userMessage).toMatch(/nest deeper than 100 levels/);
  });
});

describe("protobuf merge of a repeated singular message", () => {
  test("a second graph field merges into the first (outputs appended), as onnxruntime reads it", async () => {
    const model = buildAddModel(createTensor("w", DTYPE.FLOAT, [3], [1, 2, 3]));
    // x → Relu → r → Add(r, w) → y, so there is an inner value to expose.
    model.graph!.node.unshift(createNodeProto("Relu", ["x"], ["r"], { name: "relu0" }));
    model.graph!.node[1].input[0] = "r";
    const base = encodeModel(model);
    // ModelProto field 7 (graph) again, holding only one more output: protobuf appends it to the first graph's.
    const w = new ProtobufWriter();
    w.fork(7).fork(12);
    w.tag(1, WIRE.LDELIM).string("r");
    w.ldelim().ldelim();
    const fragment = w.finish();
    const bytes = new Uint8Array(base.length + fragment.length);
    bytes.set(base);
    bytes.set(fragment, base.length);
    const decoded = decodeModel(bytes);
    expect(decoded.graph!.output.map((o) => o.name)).toEqual(["y", "r"]);
    expect(decoded.graph!.node.length).toBe(model.graph!.node.length);
    expect(decoded.graph!.initializer.length).toBe(model.graph!.initializer.length);
    // onnxruntime sees the same merged graph.
    const session = await createInferenceSession(bytes);
    expect(session.outputNames).toEqual(["y", "r"]);
    const out = await session.run({ x: { type: "float32", dims: [1, 3], data: Float32Array.of(-1, 2, -3) } });
    await session.release();
    expect(Array.from(out.r.data as Float32Array)).toEqual([0, 2, 0]);
    expect(Array.from(out.y.data as Float32Array)).toEqual([1, 4, 3]);
  });
});
