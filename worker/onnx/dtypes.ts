/**
 * The ONNX element type table and tensor value access across every storage field
 * (raw_data, float_data, int32_data, int64_data, double_data, uint64_data, string_data).
 * Low-precision floats (float16, bfloat16, float8 variants, float4) are decoded through exact lookup tables.
 */
import { AppError } from "../../contracts/app-error";
import { DATA_LOCATION, createEmptyTensorProto, type TTensorProto } from "./onnx-proto";

/** Which TensorProto field holds a dtype's values when raw_data is not used. */
export type TStorageField = "floatData" | "int32Data" | "stringData" | "int64Data" | "doubleData" | "uint64Data";

export type TDtypeInfo = {
  /** TensorProto.DataType value. */
  id: number;
  /** Lower-case name used in reports, e.g. "float32", "int4". */
  name: string;
  /** Name in onnx.proto, e.g. "FLOAT". */
  onnxName: string;
  /** Bits per element in raw_data (0 for string). */
  bits: number;
  storage: TStorageField;
  /** Floating point (including low-precision formats). */
  isFloat: boolean;
  /** onnxruntime-node tensor type name when it can be a session input, else undefined. */
  ortType?: string;
};

/** TensorProto.DataType ids. */
export const DTYPE = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
  FLOAT8E8M0: 24,
} as const;

const TABLE: TDtypeInfo[] = [
  { id: 1, name: "float32", onnxName: "FLOAT", bits: 32, storage: "floatData", isFloat: true, ortType: "float32" },
  { id: 2, name: "uint8", onnxName: "UINT8", bits: 8, storage: "int32Data", isFloat: false, ortType: "uint8" },
  { id: 3, name: "int8", onnxName: "INT8", bits: 8, storage: "int32Data", isFloat: false, ortType: "int8" },
  { id: 4, name: "uint16", onnxName: "UINT16", bits: 16, storage: "int32Data", isFloat: false, ortType: "uint16" },
  { id: 5, name: "int16", onnxName: "INT16", bits: 16, storage: "int32Data", isFloat: false, ortType: "int16" },
  { id: 6, name: "int32", onnxName: "INT32", bits: 32, storage: "int32Data", isFloat: false, ortType: "int32" },
  { id: 7, name: "int64", onnxName: "INT64", bits: 64, storage: "int64Data", isFloat: false, ortType: "int64" },
  { id: 8, name: "string", onnxName: "STRING", bits: 0, storage: "stringData", isFloat: false, ortType: "string" },
  { id: 9, name: "bool", onnxName: "BOOL", bits: 8, storage: "int32Data", isFloat: false, ortType: "bool" },
  { id: 10, name: "float16", onnxName: "FLOAT16", bits: 16, storage: "int32Data", isFloat: true, ortType: "float16" },
  { id: 11, name: "float64", onnxName: "DOUBLE", bits: 64, storage: "doubleData", isFloat: true, ortType: "float64" },
  { id: 12, name: "uint32", onnxName: "UINT32", bits: 32, storage: "uint64Data", isFloat: false, ortType: "uint32" },
  { id: 13, name: "uint64", onnxName: "UINT64", bits: 64, storage: "uint64Data", isFloat: false, ortType: "uint64" },
  { id: 14, name: "complex64", onnxName: "COMPLEX64", bits: 64, storage: "floatData", isFloat: true },
  { id: 15, name: "complex128", onnxName: "COMPLEX128", bits: 128, storage: "doubleData", isFloat: true },
  { id: 16, name: "bfloat16", onnxName: "BFLOAT16", bits: 16, storage: "int32Data", isFloat: true },
  { id: 17, name: "float8e4m3fn", onnxName: "FLOAT8E4M3FN", bits: 8, storage: "int32Data", isFloat: true },
  { id: 18, name: "float8e4m3fnuz", onnxName: "FLOAT8E4M3FNUZ", bits: 8, storage: "int32Data", isFloat: true },
  { id: 19, name: "float8e5m2", onnxName: "FLOAT8E5M2", bits: 8, storage: "int32Data", isFloat: true },
  { id: 20, name: "float8e5m2fnuz", onnxName: "FLOAT8E5M2FNUZ", bits: 8, storage: "int32Data", isFloat: true },
  { id: 21, name: "uint4", onnxName: "UINT4", bits: 4, storage: "int32Data", isFloat: false, ortType: "uint4" },
  { id: 22, name: "int4", onnxName: "INT4", bits: 4, storage: "int32Data", isFloat: false, ortType: "int4" },
  { id: 23, name: "float4e2m1", onnxName: "FLOAT4E2M1", bits: 4, storage: "int32Data", isFloat: true },
  { id: 24, name: "float8e8m0", onnxName: "FLOAT8E8M0", bits: 8, storage: "int32Data", isFloat: true },
];

/** Every known element type by id. */
export const DTYPES: ReadonlyMap<number, TDtypeInfo> = new Map(TABLE.map((d) => [d.id, d]));
const BY_NAME: ReadonlyMap<string, TDtypeInfo> = new Map(TABLE.map((d) => [d.name, d]));

/** Dtype info by id; throws UNPROCESSABLE for ids this version does not know. */
export function getDtype(id: number | undefined): TDtypeInfo {
  const d = id === undefined ? undefined : DTYPES.get(id);
  if (!d) {
    throw new AppError("UNPROCESSABLE", { userMessage: `the model uses an unknown tensor element type (${id ?? "unset"})` });
  }
  return d;
}

/** Report name of an element type ("float32"), or "undefined(N)" for unknown ids. */
export function dtypeName(id: number | undefined): string {
  const d = id === undefined ? undefined : DTYPES.get(id);
  return d ? d.name : `undefined(${id ?? "unset"})`;
}

/** Dtype info by report name ("float32"). */
export function findDtypeByName(name: string): TDtypeInfo | undefined {
  return BY_NAME.get(name);
}

/** Bytes needed to store `count` elements of the dtype in raw_data (4-bit types pack two per byte). */
export function dtypeByteLength(id: number, count: number): number {
  const d = getDtype(id);
  return Math.ceil((count * d.bits) / 8);
}

/** Number of elements from dims; rejects negative or absurd declarations with a clear error. */
export function tensorElementCount(t: Pick<TTensorProto, "dims" | "name">): number {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new AppError("UNPROCESSABLE", { userMessage: `tensor "${t.name ?? ""}" has an invalid dimension ${d}` });
    }
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) {
      throw new AppError("UNPROCESSABLE", { userMessage: `tensor "${t.name ?? ""}" declares an impossibly large shape [${t.dims.join(", ")}]` });
    }
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// Low-precision float conversions

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** IEEE half bits → number. */
export function float16BitsToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** number → IEEE half bits, round to nearest even, overflow to infinity. */
export function numberToFloat16Bits(v: number): number {
  F32[0] = v;
  const x = U32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** bfloat16 bits → number. */
export function bfloat16BitsToNumber(b: number): number {
  U32[0] = (b & 0xffff) << 16;
  return F32[0];
}

/** number → bfloat16 bits, round to nearest even (NaN kept as NaN). */
export function numberToBfloat16Bits(v: number): number {
  F32[0] = v;
  const x = U32[0];
  if (Number.isNaN(v)) return (x >>> 16) | 0x40;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

type TMiniFloat = { expBits: number; manBits: number; bias: number; style: "ieee" | "fn" | "fnuz" | "finite" | "e8m0" };

const MINI_FLOATS: ReadonlyMap<number, TMiniFloat> = new Map([
  [DTYPE.FLOAT8E4M3FN, { expBits: 4, manBits: 3, bias: 7, style: "fn" }],
  [DTYPE.FLOAT8E4M3FNUZ, { expBits: 4, manBits: 3, bias: 8, style: "fnuz" }],
  [DTYPE.FLOAT8E5M2, { expBits: 5, manBits: 2, bias: 15, style: "ieee" }],
  [DTYPE.FLOAT8E5M2FNUZ, { expBits: 5, manBits: 2, bias: 16, style: "fnuz" }],
  [DTYPE.FLOAT4E2M1, { expBits: 2, manBits: 1, bias: 1, style: "finite" }],
  [DTYPE.FLOAT8E8M0, { expBits: 8, manBits: 0, bias: 127, style: "e8m0" }],
] as const);

function decodeMiniFloat(f: TMiniFloat, bits: number): number {
  if (f.style === "e8m0") return bits === 0xff ? NaN : 2 ** (bits - 127);
  const width = f.expBits + f.manBits + 1;
  const signBit = 1 << (width - 1);
  if (f.style === "fnuz" && bits === signBit) return NaN;
  const sign = bits & signBit ? -1 : 1;
  const expMax = (1 << f.expBits) - 1;
  const manMax = (1 << f.manBits) - 1;
  const exp = (bits >> f.manBits) & expMax;
  const man = bits & manMax;
  if (f.style === "ieee" && exp === expMax) return man ? NaN : sign * Infinity;
  if (f.style === "fn" && exp === expMax && man === manMax) return NaN;
  if (exp === 0) return sign * man * 2 ** (1 - f.bias - f.manBits);
  return sign * (1 + man / 2 ** f.manBits) * 2 ** (exp - f.bias);
}

const MINI_DECODE_TABLES = new Map<number, Float32Array>();
/** Decoding table for a float8/float4 dtype: code → value. */
function miniTable(dtype: number): Float32Array {
  let t = MINI_DECODE_TABLES.get(dtype);
  if (!t) {
    const f = MINI_FLOATS.get(dtype)!;
    const size = 1 << (f.expBits + f.manBits + (f.style === "e8m0" ? 0 : 1));
    t = new Float32Array(size);
    for (let i = 0; i < size; i++) t[i] = decodeMiniFloat(f, i);
    MINI_DECODE_TABLES.set(dtype, t);
  }
  return t;
}

const MINI_ENCODE_TABLES = new Map<number, { values: Float64Array; codes: Uint8Array; nan: number }>();
/** Nearest-value encoding (ties to the even code), saturating at the largest finite value like ONNX Cast's default. */
export function numberToMiniFloatBits(dtype: number, v: number): number {
  let enc = MINI_ENCODE_TABLES.get(dtype);
  if (!enc) {
    const table = miniTable(dtype);
    const pairs: [number, number][] = [];
    let nan = 0;
    for (let code = 0; code < table.length; code++) {
      const x = table[code];
      if (Number.isNaN(x)) nan = code;
      else if (Number.isFinite(x) && (x > 0 || (x === 0 && !Object.is(x, -0)))) pairs.push([x, code]);
    }
    pairs.sort((a, b) => a[0] - b[0]);
    enc = { values: Float64Array.from(pairs.map((p) => p[0])), codes: Uint8Array.from(pairs.map((p) => p[1])), nan };
    MINI_ENCODE_TABLES.set(dtype, enc);
  }
  if (Number.isNaN(v)) return enc.nan;
  const f = MINI_FLOATS.get(dtype)!;
  const neg = v < 0 && f.style !== "e8m0";
  const a = Math.abs(v);
  const { values, codes } = enc;
  let lo = 0;
  let hi = values.length - 1;
  if (a >= values[hi]) return withSign(f, codes[hi], neg);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (values[mid] <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - values[lo];
  const dHi = values[hi] - a;
  const code = dLo < dHi ? codes[lo] : dHi < dLo ? codes[hi] : codes[lo] % 2 === 0 ? codes[lo] : codes[hi];
  return withSign(f, code, neg);
}

function withSign(f: TMiniFloat, code: number, neg: boolean): number {
  if (!neg || code === 0 || f.style === "e8m0") return code;
  return code | (1 << (f.expBits + f.manBits));
}

// ---------------------------------------------------------------------------------------------------------------
// Reading tensor values

function dataError(t: TTensorProto, detail: string): AppError {
  return new AppError("UNPROCESSABLE", { userMessage: `tensor "${t.name ?? ""}" is malformed: ${detail}` });
}

/**
 * The tensor's element bytes in raw_data layout (little-endian, 4-bit types packed low nibble first),
 * whatever field stores them. Zero-copy when the tensor uses raw_data. Not for strings.
 */
export function readTensorRawBytes(t: TTensorProto): Uint8Array {
  const d = getDtype(t.dataType);
  if (d.id === DTYPE.STRING) throw dataError(t, "string tensors have no raw bytes");
  if (t.dataLocation === DATA_LOCATION.EXTERNAL) {
    throw dataError(t, "its data is stored in an external file that was not loaded (upload the model as a bundle)");
  }
  const count = tensorElementCount(t);
  const nbytes = Math.ceil((count * d.bits) / 8);
  if (t.rawData !== undefined && (t.rawData.length > 0 || nbytes === 0)) {
    if (t.rawData.length !== nbytes) {
      throw dataError(t, `it has ${t.rawData.length} bytes of data but its shape [${t.dims.join(", ")}] needs ${nbytes}`);
    }
    return t.rawData;
  }
  const out = new Uint8Array(nbytes);
  const view = new DataView(out.buffer);
  const field = t[d.storage] as ArrayLike<number | bigint> | undefined;
  const have = field?.length ?? 0;
  const expected = d.bits === 4 ? Math.ceil(count / 2) : d.id === DTYPE.COMPLEX64 || d.id === DTYPE.COMPLEX128 ? count * 2 : count;
  if (have !== expected) {
    throw dataError(t, `it has ${have} values but its shape [${t.dims.join(", ")}] needs ${expected}`);
  }
  if (!field || expected === 0) return out;
  switch (d.storage) {
    case "floatData": {
      const src = field as Float32Array;
      for (let i = 0; i < src.length; i++) view.setFloat32(i * 4, src[i], true);
      break;
    }
    case "doubleData": {
      const src = field as Float64Array;
      for (let i = 0; i < src.length; i++) view.setFloat64(i * 8, src[i], true);
      break;
    }
    case "int64Data": {
      const src = field as BigInt64Array;
      for (let i = 0; i < src.length; i++) view.setBigInt64(i * 8, src[i], true);
      break;
    }
    case "uint64Data": {
      const src = field as BigUint64Array;
      if (d.bits === 32) for (let i = 0; i < src.length; i++) view.setUint32(i * 4, Number(src[i] & 0xffffffffn), true);
      else for (let i = 0; i < src.length; i++) view.setBigUint64(i * 8, src[i], true);
      break;
    }
    case "int32Data": {
      const src = field as Int32Array;
      if (d.bits === 32) for (let i = 0; i < src.length; i++) view.setInt32(i * 4, src[i], true);
      else if (d.bits === 16) for (let i = 0; i < src.length; i++) view.setUint16(i * 2, src[i] & 0xffff, true);
      // 8-bit types hold one element per int32; 4-bit types hold one packed byte (two elements) per int32.
      else for (let i = 0; i < src.length; i++) out[i] = src[i] & 0xff;
      break;
    }
    default:
      throw dataError(t, "unsupported storage");
  }
  return out;
}

/** String tensor values as UTF-8 text. */
export function readTensorStrings(t: TTensorProto): string[] {
  const dec = new TextDecoder();
  return t.stringData.map((s) => dec.decode(s));
}

export type TTensorValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * Values in the dtype's natural JS array: float32→Float32Array, int8→Int8Array, int4/uint4→Int8Array/Uint8Array
 * (one element per entry), float16/bfloat16→Uint16Array of bits, float8/float4→Uint8Array of codes, bool→Uint8Array.
 * Always a copy, aligned and safe to mutate.
 */
export function readTensorValues(t: TTensorProto): TTensorValues {
  const d = getDtype(t.dataType);
  const raw = readTensorRawBytes(t);
  const count = tensorElementCount(t);
  if (d.bits === 4) {
    const out = d.id === DTYPE.INT4 ? new Int8Array(count) : new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const nib = (raw[i >> 1] >> ((i & 1) * 4)) & 0xf;
      out[i] = d.id === DTYPE.INT4 && nib >= 8 ? nib - 16 : nib;
    }
    return out;
  }
  const copy = raw.slice();
  const buf = copy.buffer;
  switch (d.id) {
    case DTYPE.FLOAT:
      return new Float32Array(buf, 0, count);
    case DTYPE.DOUBLE:
      return new Float64Array(buf, 0, count);
    case DTYPE.COMPLEX64:
      return new Float32Array(buf, 0, count * 2);
    case DTYPE.COMPLEX128:
      return new Float64Array(buf, 0, count * 2);
    case DTYPE.INT8:
      return new Int8Array(buf, 0, count);
    case DTYPE.INT16:
      return new Int16Array(buf, 0, count);
    case DTYPE.UINT16:
    case DTYPE.FLOAT16:
    case DTYPE.BFLOAT16:
      return new Uint16Array(buf, 0, count);
    case DTYPE.INT32:
      return new Int32Array(buf, 0, count);
    case DTYPE.UINT32:
      return new Uint32Array(buf, 0, count);
    case DTYPE.INT64:
      return new BigInt64Array(buf, 0, count);
    case DTYPE.UINT64:
      return new BigUint64Array(buf, 0, count);
    default:
      return new Uint8Array(buf, 0, count);
  }
}

/**
 * A float32 tensor's values for reading only: a zero-copy view of raw_data when it starts 4-byte aligned in its
 * buffer (raw_data views the model file, so an aligned start is luck), float_data as is, else an aligned copy.
 * Never write into the result: it may be the model file's bytes. Throws like readTensorRawBytes (wrong size,
 * external data not loaded) and for non-float32 tensors.
 */
export function viewFloat32Values(t: TTensorProto): Float32Array {
  if (t.dataType !== DTYPE.FLOAT) throw dataError(t, `it is ${dtypeName(t.dataType)}, not float32`);
  const count = tensorElementCount(t);
  if (t.floatData && t.floatData.length === count && !(t.rawData && t.rawData.length > 0)) return t.floatData;
  const raw = readTensorRawBytes(t);
  if (raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, count);
  return new Float32Array(raw.slice().buffer, 0, count);
}

/** Numeric values converted to float32 (low-precision floats decoded exactly; int64 rounded). Not for strings. */
export function readTensorAsFloat32(t: TTensorProto): Float32Array {
  const d = getDtype(t.dataType);
  if (d.id === DTYPE.FLOAT) return readTensorValues(t) as Float32Array;
  const values = readTensorValues(t);
  const out = new Float32Array(values.length);
  if (d.id === DTYPE.FLOAT16) {
    for (let i = 0; i < values.length; i++) out[i] = float16BitsToNumber(values[i] as number);
  } else if (d.id === DTYPE.BFLOAT16) {
    for (let i = 0; i < values.length; i++) out[i] = bfloat16BitsToNumber(values[i] as number);
  } else if (MINI_FLOATS.has(d.id)) {
    const table = miniTable(d.id);
    for (let i = 0; i < values.length; i++) out[i] = table[values[i] as number];
  } else if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
  } else {
    for (let i = 0; i < values.length; i++) out[i] = values[i] as number;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Creating tensors

/**
 * Builds a tensor stored in raw_data (strings in string_data). `values`: numbers for every numeric dtype
 * (floats are converted to float16/bfloat16/float8/float4 codes with round-to-nearest), bigints or numbers for
 * int64/uint64, strings for string tensors. A typed array of the natural type (see readTensorValues) is stored as is.
 */
export function createTensor(
  name: string,
  dtype: number,
  dims: number[],
  values: ArrayLike<number> | ArrayLike<bigint> | readonly string[],
): TTensorProto {
  const d = getDtype(dtype);
  const t = createEmptyTensorProto(name);
  t.dataType = dtype;
  t.dims = [...dims];
  const count = tensorElementCount(t);
  if (values.length !== count) {
    throw new Error(`createTensor(${name}): ${values.length} values for shape [${dims.join(", ")}] (${count} elements)`);
  }
  if (d.id === DTYPE.STRING) {
    const enc = new TextEncoder();
    t.stringData = (values as readonly string[]).map((s) => enc.encode(s));
    return t;
  }
  const raw = new Uint8Array(Math.ceil((count * d.bits) / 8));
  const view = new DataView(raw.buffer);
  const num = (i: number) => Number(values[i] as number | bigint);
  const natural16 = values instanceof Uint16Array;
  const naturalCodes = values instanceof Uint8Array;
  switch (d.id) {
    case DTYPE.FLOAT:
      for (let i = 0; i < count; i++) view.setFloat32(i * 4, num(i), true);
      break;
    case DTYPE.DOUBLE:
      for (let i = 0; i < count; i++) view.setFloat64(i * 8, num(i), true);
      break;
    case DTYPE.FLOAT16:
      for (let i = 0; i < count; i++) view.setUint16(i * 2, natural16 ? num(i) : numberToFloat16Bits(num(i)), true);
      break;
    case DTYPE.BFLOAT16:
      for (let i = 0; i < count; i++) view.setUint16(i * 2, natural16 ? num(i) : numberToBfloat16Bits(num(i)), true);
      break;
    case DTYPE.INT8:
      for (let i = 0; i < count; i++) view.setInt8(i, num(i));
      break;
    case DTYPE.UINT8:
    case DTYPE.BOOL:
      for (let i = 0; i < count; i++) view.setUint8(i, num(i));
      break;
    case DTYPE.INT16:
      for (let i = 0; i < count; i++) view.setInt16(i * 2, num(i), true);
      break;
    case DTYPE.UINT16:
      for (let i = 0; i < count; i++) view.setUint16(i * 2, num(i), true);
      break;
    case DTYPE.INT32:
      for (let i = 0; i < count; i++) view.setInt32(i * 4, num(i), true);
      break;
    case DTYPE.UINT32:
      for (let i = 0; i < count; i++) view.setUint32(i * 4, num(i), true);
      break;
    case DTYPE.INT64:
      for (let i = 0; i < count; i++) view.setBigInt64(i * 8, BigInt(values[i] as number | bigint), true);
      break;
    case DTYPE.UINT64:
      for (let i = 0; i < count; i++) view.setBigUint64(i * 8, BigInt(values[i] as number | bigint), true);
      break;
    case DTYPE.INT4:
    case DTYPE.UINT4:
    case DTYPE.FLOAT4E2M1:
      for (let i = 0; i < count; i++) {
        const v = d.id === DTYPE.FLOAT4E2M1 && !naturalCodes ? numberToMiniFloatBits(d.id, num(i)) : num(i) & 0xf;
        raw[i >> 1] |= v << ((i & 1) * 4);
      }
      break;
    case DTYPE.COMPLEX64:
    case DTYPE.COMPLEX128:
      throw new Error("createTensor: complex tensors are not supported");
    default:
      // float8 variants
      for (let i = 0; i < count; i++) raw[i] = naturalCodes ? num(i) : numberToMiniFloatBits(d.id, num(i));
  }
  t.rawData = raw;
  return t;
}
