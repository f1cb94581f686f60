/**
 * Typed decode/encode of the ONNX protobuf messages (onnx.proto, IR up to 11), hand-written on our wire codec.
 * A field table per message drives one generic codec, so adding a field is one line.
 * - Unknown fields are kept as raw bytes (tag + value) in `unknownFields` and written back after the known ones,
 *   so decode→encode preserves what this code does not understand.
 * - `rawData` and other `bytes` fields are zero-copy views into the input buffer: keep the buffer alive and do not
 *   mutate it while the model is in use.
 * - int64 values that can exceed 2^53 (attribute ints, int64_data, uint64_data) are bigint; dims, versions and
 *   similar counts are numbers (a value past 2^53 there is rejected as malformed).
 */
import { ProtobufError, ProtobufReader, WIRE, readTag } from "./protobuf-reader";
import { ProtobufWriter } from "./protobuf-writer";

/** Bytes of fields this codec does not know, kept verbatim for round trips. */
export type TUnknownFields = { unknownFields?: Uint8Array[] };

export type TStringStringEntryProto = { key?: string; value?: string } & TUnknownFields;
export type TOperatorSetIdProto = { domain?: string; version?: number } & TUnknownFields;

/** ONNX TensorProto.DataLocation. */
export const DATA_LOCATION = { DEFAULT: 0, EXTERNAL: 1 } as const;

export type TTensorSegment = { begin?: number; end?: number } & TUnknownFields;

export type TTensorProto = {
  dims: number[];
  dataType?: number;
  segment?: TTensorSegment;
  floatData?: Float32Array;
  int32Data?: Int32Array;
  stringData: Uint8Array[];
  int64Data?: BigInt64Array;
  name?: string;
  docString?: string;
  /** Zero-copy view into the decoded buffer (little-endian element bytes). */
  rawData?: Uint8Array;
  externalData: TStringStringEntryProto[];
  dataLocation?: number;
  doubleData?: Float64Array;
  uint64Data?: BigUint64Array;
  metadataProps: TStringStringEntryProto[];
} & TUnknownFields;

export type TSparseTensorProto = {
  values?: TTensorProto;
  indices?: TTensorProto;
  dims: number[];
} & TUnknownFields;

export type TTensorShapeDimension = { dimValue?: number; dimParam?: string; denotation?: string } & TUnknownFields;
export type TTensorShapeProto = { dim: TTensorShapeDimension[] } & TUnknownFields;

export type TTypeProtoTensor = { elemType?: number; shape?: TTensorShapeProto } & TUnknownFields;
export type TTypeProtoSequence = { elemType?: TTypeProto } & TUnknownFields;
export type TTypeProtoMap = { keyType?: number; valueType?: TTypeProto } & TUnknownFields;
export type TTypeProtoOptional = { elemType?: TTypeProto } & TUnknownFields;
export type TTypeProtoSparseTensor = { elemType?: number; shape?: TTensorShapeProto } & TUnknownFields;
export type TTypeProto = {
  tensorType?: TTypeProtoTensor;
  sequenceType?: TTypeProtoSequence;
  mapType?: TTypeProtoMap;
  optionalType?: TTypeProtoOptional;
  sparseTensorType?: TTypeProtoSparseTensor;
  denotation?: string;
} & TUnknownFields;

export type TValueInfoProto = {
  name?: string;
  type?: TTypeProto;
  docString?: string;
  metadataProps: TStringStringEntryProto[];
} & TUnknownFields;

/** ONNX AttributeProto.AttributeType. */
export const ATTRIBUTE_TYPE = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  SPARSE_TENSOR: 11,
  TYPE_PROTO: 13,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSORS: 12,
  TYPE_PROTOS: 14,
} as const;

export type TAttributeProto = {
  name?: string;
  refAttrName?: string;
  docString?: string;
  type?: number;
  f?: number;
  i?: bigint;
  /** STRING attributes are bytes on the wire; use `attributeString()` for text. */
  s?: Uint8Array;
  t?: TTensorProto;
  g?: TGraphProto;
  sparseTensor?: TSparseTensorProto;
  tp?: TTypeProto;
  floats: number[];
  ints: bigint[];
  strings: Uint8Array[];
  tensors: TTensorProto[];
  graphs: TGraphProto[];
  sparseTensors: TSparseTensorProto[];
  typeProtos: TTypeProto[];
} & TUnknownFields;

export type TNodeProto = {
  input: string[];
  output: string[];
  name?: string;
  opType?: string;
  domain?: string;
  overload?: string;
  attribute: TAttributeProto[];
  docString?: string;
  metadataProps: TStringStringEntryProto[];
} & TUnknownFields;

export type TTensorAnnotation = {
  tensorName?: string;
  quantParameterTensorNames: TStringStringEntryProto[];
} & TUnknownFields;

export type TGraphProto = {
  node: TNodeProto[];
  name?: string;
  initializer: TTensorProto[];
  sparseInitializer: TSparseTensorProto[];
  docString?: string;
  input: TValueInfoProto[];
  output: TValueInfoProto[];
  valueInfo: TValueInfoProto[];
  quantizationAnnotation: TTensorAnnotation[];
  metadataProps: TStringStringEntryProto[];
} & TUnknownFields;

export type TFunctionProto = {
  name?: string;
  input: string[];
  output: string[];
  attribute: string[];
  attributeProto: TAttributeProto[];
  node: TNodeProto[];
  docString?: string;
  opsetImport: TOperatorSetIdProto[];
  domain?: string;
  overload?: string;
  valueInfo: TValueInfoProto[];
  metadataProps: TStringStringEntryProto[];
} & TUnknownFields;

export type TTrainingInfoProto = {
  initialization?: TGraphProto;
  algorithm?: TGraphProto;
  initializationBinding: TStringStringEntryProto[];
  updateBinding: TStringStringEntryProto[];
} & TUnknownFields;

export type TModelProto = {
  irVersion?: number;
  opsetImport: TOperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: TGraphProto;
  metadataProps: TStringStringEntryProto[];
  trainingInfo: TTrainingInfoProto[];
  functions: TFunctionProto[];
} & TUnknownFields;

// ---------------------------------------------------------------------------------------------------------------
// Field tables

/** How a field is stored: scalar kinds, a nested message, or a packed numeric array as a typed array. */
type TKind =
  | "int32"
  | "int64num"
  | "int64"
  | "uint64"
  | "float"
  | "double"
  | "string"
  | "bytes"
  | "message";

type TFieldDesc = {
  no: number;
  key: string;
  kind: TKind;
  /** "array": JS array; "typed": typed array (float32/int32/int64/float64/uint64 data fields). */
  repeated?: "array" | "typed";
  /** Written packed (onnx.proto declares [packed = true]); reading accepts both forms. */
  packed?: boolean;
  msg?: () => TMessageDesc;
};

export type TMessageDesc = { name: string; fields: TFieldDesc[]; byNo: Map<number, TFieldDesc> };

function defineMessage(name: string, fields: TFieldDesc[]): TMessageDesc {
  const sorted = [...fields].sort((a, b) => a.no - b.no);
  return { name, fields: sorted, byNo: new Map(sorted.map((f) => [f.no, f])) };
}

const str = (no: number, key: string): TFieldDesc => ({ no, key, kind: "string" });
const strs = (no: number, key: string): TFieldDesc => ({ no, key, kind: "string", repeated: "array" });
const msg = (no: number, key: string, m: () => TMessageDesc): TFieldDesc => ({ no, key, kind: "message", msg: m });
const msgs = (no: number, key: string, m: () => TMessageDesc): TFieldDesc => ({
  no,
  key,
  kind: "message",
  repeated: "array",
  msg: m,
});

export const STRING_STRING_ENTRY: TMessageDesc = defineMessage("StringStringEntryProto", [str(1, "key"), str(2, "value")]);
export const OPERATOR_SET_ID: TMessageDesc = defineMessage("OperatorSetIdProto", [
  str(1, "domain"),
  { no: 2, key: "version", kind: "int64num" },
]);
const META = (no: number): TFieldDesc => msgs(no, "metadataProps", () => STRING_STRING_ENTRY);

const TENSOR_SEGMENT = defineMessage("TensorProto.Segment", [
  { no: 1, key: "begin", kind: "int64num" },
  { no: 2, key: "end", kind: "int64num" },
]);

export const TENSOR: TMessageDesc = defineMessage("TensorProto", [
  { no: 1, key: "dims", kind: "int64num", repeated: "array" },
  { no: 2, key: "dataType", kind: "int32" },
  msg(3, "segment", () => TENSOR_SEGMENT),
  { no: 4, key: "floatData", kind: "float", repeated: "typed", packed: true },
  { no: 5, key: "int32Data", kind: "int32", repeated: "typed", packed: true },
  { no: 6, key: "stringData", kind: "bytes", repeated: "array" },
  { no: 7, key: "int64Data", kind: "int64", repeated: "typed", packed: true },
  str(8, "name"),
  { no: 9, key: "rawData", kind: "bytes" },
  { no: 10, key: "doubleData", kind: "double", repeated: "typed", packed: true },
  { no: 11, key: "uint64Data", kind: "uint64", repeated: "typed", packed: true },
  str(12, "docString"),
  msgs(13, "externalData", () => STRING_STRING_ENTRY),
  { no: 14, key: "dataLocation", kind: "int32" },
  META(16),
]);

export const SPARSE_TENSOR: TMessageDesc = defineMessage("SparseTensorProto", [
  msg(1, "values", () => TENSOR),
  msg(2, "indices", () => TENSOR),
  { no: 3, key: "dims", kind: "int64num", repeated: "array" },
]);

const SHAPE_DIM = defineMessage("TensorShapeProto.Dimension", [
  { no: 1, key: "dimValue", kind: "int64num" },
  str(2, "dimParam"),
  str(3, "denotation"),
]);
export const TENSOR_SHAPE: TMessageDesc = defineMessage("TensorShapeProto", [msgs(1, "dim", () => SHAPE_DIM)]);

const TYPE_TENSOR = defineMessage("TypeProto.Tensor", [
  { no: 1, key: "elemType", kind: "int32" },
  msg(2, "shape", () => TENSOR_SHAPE),
]);
const TYPE_SEQUENCE = defineMessage("TypeProto.Sequence", [msg(1, "elemType", () => TYPE)]);
const TYPE_MAP = defineMessage("TypeProto.Map", [
  { no: 1, key: "keyType", kind: "int32" },
  msg(2, "valueType", () => TYPE),
]);
const TYPE_OPTIONAL = defineMessage("TypeProto.Optional", [msg(1, "elemType", () => TYPE)]);
const TYPE_SPARSE = defineMessage("TypeProto.SparseTensor", [
  { no: 1, key: "elemType", kind: "int32" },
  msg(2, "shape", () => TENSOR_SHAPE),
]);
export const TYPE: TMessageDesc = defineMessage("TypeProto", [
  msg(1, "tensorType", () => TYPE_TENSOR),
  msg(4, "sequenceType", () => TYPE_SEQUENCE),
  msg(5, "mapType", () => TYPE_MAP),
  str(6, "denotation"),
  msg(8, "sparseTensorType", () => TYPE_SPARSE),
  msg(9, "optionalType", () => TYPE_OPTIONAL),
]);

export const VALUE_INFO: TMessageDesc = defineMessage("ValueInfoProto", [
  str(1, "name"),
  msg(2, "type", () => TYPE),
  str(3, "docString"),
  META(4),
]);

export const ATTRIBUTE: TMessageDesc = defineMessage("AttributeProto", [
  str(1, "name"),
  { no: 2, key: "f", kind: "float" },
  { no: 3, key: "i", kind: "int64" },
  { no: 4, key: "s", kind: "bytes" },
  msg(5, "t", () => TENSOR),
  msg(6, "g", () => GRAPH),
  { no: 7, key: "floats", kind: "float", repeated: "array" },
  { no: 8, key: "ints", kind: "int64", repeated: "array" },
  { no: 9, key: "strings", kind: "bytes", repeated: "array" },
  msgs(10, "tensors", () => TENSOR),
  msgs(11, "graphs", () => GRAPH),
  str(13, "docString"),
  msg(14, "tp", () => TYPE),
  msgs(15, "typeProtos", () => TYPE),
  { no: 20, key: "type", kind: "int32" },
  str(21, "refAttrName"),
  msg(22, "sparseTensor", () => SPARSE_TENSOR),
  msgs(23, "sparseTensors", () => SPARSE_TENSOR),
]);

export const NODE: TMessageDesc = defineMessage("NodeProto", [
  strs(1, "input"),
  strs(2, "output"),
  str(3, "name"),
  str(4, "opType"),
  msgs(5, "attribute", () => ATTRIBUTE),
  str(6, "docString"),
  str(7, "domain"),
  str(8, "overload"),
  META(9),
]);

const TENSOR_ANNOTATION = defineMessage("TensorAnnotation", [
  str(1, "tensorName"),
  msgs(2, "quantParameterTensorNames", () => STRING_STRING_ENTRY),
]);

export const GRAPH: TMessageDesc = defineMessage("GraphProto", [
  msgs(1, "node", () => NODE),
  str(2, "name"),
  msgs(5, "initializer", () => TENSOR),
  str(10, "docString"),
  msgs(11, "input", () => VALUE_INFO),
  msgs(12, "output", () => VALUE_INFO),
  msgs(13, "valueInfo", () => VALUE_INFO),
  msgs(14, "quantizationAnnotation", () => TENSOR_ANNOTATION),
  msgs(15, "sparseInitializer", () => SPARSE_TENSOR),
  META(16),
]);

export const FUNCTION: TMessageDesc = defineMessage("FunctionProto", [
  str(1, "name"),
  strs(4, "input"),
  strs(5, "output"),
  strs(6, "attribute"),
  msgs(7, "node", () => NODE),
  str(8, "docString"),
  msgs(9, "opsetImport", () => OPERATOR_SET_ID),
  str(10, "domain"),
  msgs(11, "attributeProto", () => ATTRIBUTE),
  msgs(12, "valueInfo", () => VALUE_INFO),
  str(13, "overload"),
  META(14),
]);

export const TRAINING_INFO: TMessageDesc = defineMessage("TrainingInfoProto", [
  msg(1, "initialization", () => GRAPH),
  msg(2, "algorithm", () => GRAPH),
  msgs(3, "initializationBinding", () => STRING_STRING_ENTRY),
  msgs(4, "updateBinding", () => STRING_STRING_ENTRY),
]);

export const MODEL: TMessageDesc = defineMessage("ModelProto", [
  { no: 1, key: "irVersion", kind: "int64num" },
  str(2, "producerName"),
  str(3, "producerVersion"),
  str(4, "domain"),
  { no: 5, key: "modelVersion", kind: "int64num" },
  str(6, "docString"),
  msg(7, "graph", () => GRAPH),
  msgs(8, "opsetImport", () => OPERATOR_SET_ID),
  META(14),
  msgs(20, "trainingInfo", () => TRAINING_INFO),
  msgs(25, "functions", () => FUNCTION),
]);

// ---------------------------------------------------------------------------------------------------------------
// Generic decode

function scalarWireType(kind: TKind): number {
  switch (kind) {
    case "float":
      return WIRE.FIXED32;
    case "double":
      return WIRE.FIXED64;
    case "string":
    case "bytes":
    case "message":
      return WIRE.LDELIM;
    default:
      return WIRE.VARINT;
  }
}

function readScalar(r: ProtobufReader, kind: TKind): unknown {
  switch (kind) {
    case "int32":
      return r.int32();
    case "int64num":
      return r.int64Number();
    case "int64":
      return r.int64();
    case "uint64":
      return r.uint64();
    case "float":
      return r.float();
    case "double":
      return r.double();
    case "string":
      return r.string();
    case "bytes":
      return r.bytes();
    default:
      throw new Error(`not a scalar kind: ${kind}`);
  }
}

type TTypedArray = Float32Array | Int32Array | BigInt64Array | Float64Array | BigUint64Array;

/** Decodes a packed run of `kind` values from `bytes` into a typed array (copying: views may be unaligned). */
function readPackedTyped(r: ProtobufReader, kind: TKind): TTypedArray {
  const n = r.length();
  const start = r.pos;
  const end = start + n;
  const bytes = r.buf;
  let out: TTypedArray;
  if (kind === "float" || kind === "double") {
    const width = kind === "float" ? 4 : 8;
    if (n % width !== 0) throw new ProtobufError("malformed", start, `packed ${kind} field at byte ${start} has ${n} bytes`);
    const copy = bytes.slice(start, end);
    out = kind === "float" ? new Float32Array(copy.buffer, 0, n / 4) : new Float64Array(copy.buffer, 0, n / 8);
    r.pos = end;
    return out;
  }
  // Varints end at bytes without the continuation bit: count them to size the array in one pass.
  let count = 0;
  for (let i = start; i < end; i++) if (bytes[i] < 0x80) count++;
  if (n > 0 && bytes[end - 1] >= 0x80) throw new ProtobufError("truncated", end, `packed varints at byte ${start} are cut off`);
  const savedEnd = r.end;
  r.end = end;
  try {
    if (kind === "int32") {
      const a = new Int32Array(count);
      for (let i = 0; i < count; i++) a[i] = r.int32();
      out = a;
    } else if (kind === "int64") {
      const a = new BigInt64Array(count);
      for (let i = 0; i < count; i++) a[i] = r.int64();
      out = a;
    } else {
      const a = new BigUint64Array(count);
      for (let i = 0; i < count; i++) a[i] = r.uint64();
      out = a;
    }
  } finally {
    r.end = savedEnd;
  }
  return out;
}

function typedFromValues(kind: TKind, values: unknown[]): TTypedArray {
  switch (kind) {
    case "float":
      return Float32Array.from(values as number[]);
    case "double":
      return Float64Array.from(values as number[]);
    case "int32":
      return Int32Array.from(values as number[]);
    case "int64":
      return BigInt64Array.from(values as bigint[]);
    default:
      return BigUint64Array.from(values as bigint[]);
  }
}

function concatTyped(a: TTypedArray, b: TTypedArray): TTypedArray {
  const Ctor = a.constructor as new (n: number) => TTypedArray;
  const out = new Ctor(a.length + b.length);
  (out as Float32Array).set(a as Float32Array);
  (out as Float32Array).set(b as Float32Array, a.length);
  return out;
}

/**
 * Decodes the message at the reader's current window (`r.pos` to `r.end`). With `into`, the fields are merged into
 * that already decoded message (protobuf semantics for a singular message field that occurs again: scalars are
 * replaced, repeated fields appended, nested messages merged recursively).
 */
export function decodeMessage(r: ProtobufReader, desc: TMessageDesc, into?: Record<string, unknown>): Record<string, unknown> {
  const obj: Record<string, unknown> = into ?? {};
  if (!into) for (const f of desc.fields) if (f.repeated === "array") obj[f.key] = [];
  let unknown = obj.unknownFields as Uint8Array[] | undefined;
  while (r.pos < r.end) {
    const tagStart = r.pos;
    const { fieldNo, wireType } = readTag(r);
    const f = desc.byNo.get(fieldNo);
    const expected = f ? scalarWireType(f.kind) : -1;
    const packedRun = f !== undefined && f.repeated !== undefined && wireType === WIRE.LDELIM && expected !== WIRE.LDELIM;
    if (!f || (wireType !== expected && !packedRun)) {
      // Unknown field, or a known number with an unexpected wire type (protobuf treats both as unknown).
      r.skip(wireType);
      (unknown ??= []).push(r.buf.subarray(tagStart, r.pos));
      continue;
    }
    if (f.kind === "message") {
      const child = f.msg!();
      if (f.repeated) (obj[f.key] as unknown[]).push(r.nested((sub) => decodeMessage(sub, child)));
      else {
        // A singular message that occurs again merges into the first (writers may split a message, and the
        // calibration models append extra graph outputs this way).
        const prev = obj[f.key] as Record<string, unknown> | undefined;
        obj[f.key] = r.nested((sub) => decodeMessage(sub, child, prev));
      }
      continue;
    }
    if (f.repeated === "typed") {
      const chunk = packedRun ? readPackedTyped(r, f.kind) : typedFromValues(f.kind, [readScalar(r, f.kind)]);
      const prev = obj[f.key] as TTypedArray | undefined;
      obj[f.key] = prev ? concatTyped(prev, chunk) : chunk;
      continue;
    }
    if (f.repeated === "array") {
      const arr = obj[f.key] as unknown[];
      if (packedRun) {
        const n = r.length();
        const end = r.pos + n;
        const savedEnd = r.end;
        r.end = end;
        try {
          while (r.pos < end) arr.push(readScalar(r, f.kind));
        } finally {
          r.end = savedEnd;
        }
      } else arr.push(readScalar(r, f.kind));
      continue;
    }
    obj[f.key] = readScalar(r, f.kind);
  }
  if (unknown) obj.unknownFields = unknown;
  return obj;
}

// ---------------------------------------------------------------------------------------------------------------
// Generic encode

function writeScalar(w: ProtobufWriter, kind: TKind, value: unknown): void {
  switch (kind) {
    case "int32":
      w.int32(value as number);
      return;
    case "int64num":
    case "int64":
      w.int64(value as number | bigint);
      return;
    case "uint64":
      w.uint64(value as bigint);
      return;
    case "float":
      w.float(value as number);
      return;
    case "double":
      w.double(value as number);
      return;
    case "string":
      w.string(value as string);
      return;
    case "bytes":
      w.bytes(value as Uint8Array);
      return;
    default:
      throw new Error(`not a scalar kind: ${kind}`);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function writePacked(w: ProtobufWriter, f: TFieldDesc, values: ArrayLike<unknown>): void {
  if (values.length === 0) return;
  if ((f.kind === "float" || f.kind === "double") && LITTLE_ENDIAN && ArrayBuffer.isView(values)) {
    const view = values as unknown as Float32Array;
    w.tag(f.no, WIRE.LDELIM).bytes(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    return;
  }
  w.fork(f.no);
  for (let i = 0; i < values.length; i++) writeScalar(w, f.kind, values[i]);
  w.ldelim();
}

/** Encodes `obj` (a message of type `desc`) into `w`. */
export function encodeMessage(w: ProtobufWriter, desc: TMessageDesc, obj: Record<string, unknown>): void {
  for (const f of desc.fields) {
    const value = obj[f.key];
    if (value === undefined || value === null) continue;
    if (f.repeated) {
      const values = value as ArrayLike<unknown>;
      if (f.packed) {
        writePacked(w, f, values);
        continue;
      }
      for (let i = 0; i < values.length; i++) writeField(w, f, values[i]);
      continue;
    }
    writeField(w, f, value);
  }
  const unknown = obj.unknownFields as Uint8Array[] | undefined;
  if (unknown) for (const u of unknown) w.raw(u);
}

function writeField(w: ProtobufWriter, f: TFieldDesc, value: unknown): void {
  if (f.kind === "message") {
    w.fork(f.no);
    encodeMessage(w, f.msg!(), value as Record<string, unknown>);
    w.ldelim();
    return;
  }
  w.tag(f.no, scalarWireType(f.kind));
  writeScalar(w, f.kind, value);
}

// ---------------------------------------------------------------------------------------------------------------
// Typed entry points for single messages (the model-level API with user-facing errors is in model-io.ts)

/** Decodes one protobuf message of the given type from bytes. Throws ProtobufError on malformed input. */
export function decodeProto<T>(desc: TMessageDesc, bytes: Uint8Array): T {
  return decodeMessage(new ProtobufReader(bytes), desc) as T;
}

/** Encodes one message of the given type. */
export function encodeProto<T extends object>(desc: TMessageDesc, value: T): Uint8Array {
  const w = new ProtobufWriter();
  encodeMessage(w, desc, value as Record<string, unknown>);
  return w.finish();
}

/** Encodes one message into parts without concatenation (for streaming large models to disk). */
export function encodeProtoParts<T extends object>(desc: TMessageDesc, value: T): Uint8Array[] {
  const w = new ProtobufWriter();
  encodeMessage(w, desc, value as Record<string, unknown>);
  return w.finishParts();
}

/** An empty tensor with all repeated fields present, for building tensors by hand. */
export function createEmptyTensorProto(name: string): TTensorProto {
  return { name, dims: [], stringData: [], externalData: [], metadataProps: [] };
}

/** An empty graph with all repeated fields present. */
export function createEmptyGraphProto(name: string): TGraphProto {
  return {
    name,
    node: [],
    initializer: [],
    sparseInitializer: [],
    input: [],
    output: [],
    valueInfo: [],
    quantizationAnnotation: [],
    metadataProps: [],
  };
}

/** A node with all repeated fields present. */
export function createNodeProto(opType: string, input: string[], output: string[], opts: {
  name?: string;
  domain?: string;
  attribute?: TAttributeProto[];
} = {}): TNodeProto {
  return {
    opType,
    input,
    output,
    name: opts.name,
    domain: opts.domain,
    attribute: opts.attribute ?? [],
    metadataProps: [],
  };
}

/** A ValueInfo for a tensor; `shape` entries: number = fixed, string = symbolic, null = unknown. */
export function createTensorValueInfo(
  name: string,
  elemType: number,
  shape?: (number | string | null)[],
): TValueInfoProto {
  const tensorType: TTypeProtoTensor = { elemType };
  if (shape) {
    tensorType.shape = {
      dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : typeof d === "string" ? { dimParam: d } : {})),
    };
  }
  return { name, type: { tensorType }, metadataProps: [] };
}

/** An attribute with its type set from the value: number (float unless `asInt`), bigint/int, string, tensor, graph, arrays. */
export function createAttribute(
  name: string,
  value: number | bigint | string | TTensorProto | TGraphProto | number[] | bigint[] | string[],
  opts: { asInt?: boolean } = {},
): TAttributeProto {
  const a: TAttributeProto = {
    name,
    floats: [],
    ints: [],
    strings: [],
    tensors: [],
    graphs: [],
    sparseTensors: [],
    typeProtos: [],
  };
  const enc = new TextEncoder();
  if (typeof value === "bigint" || (typeof value === "number" && opts.asInt)) {
    a.type = ATTRIBUTE_TYPE.INT;
    a.i = BigInt(value);
  } else if (typeof value === "number") {
    a.type = ATTRIBUTE_TYPE.FLOAT;
    a.f = value;
  } else if (typeof value === "string") {
    a.type = ATTRIBUTE_TYPE.STRING;
    a.s = enc.encode(value);
  } else if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === "string") {
      a.type = ATTRIBUTE_TYPE.STRINGS;
      a.strings = (value as string[]).map((s) => enc.encode(s));
    } else if (value.length > 0 && (typeof value[0] === "bigint" || opts.asInt)) {
      a.type = ATTRIBUTE_TYPE.INTS;
      a.ints = (value as (number | bigint)[]).map((v) => BigInt(v));
    } else {
      a.type = ATTRIBUTE_TYPE.FLOATS;
      a.floats = value as number[];
    }
  } else if ("node" in value) {
    a.type = ATTRIBUTE_TYPE.GRAPH;
    a.g = value;
  } else {
    a.type = ATTRIBUTE_TYPE.TENSOR;
    a.t = value;
  }
  return a;
}
