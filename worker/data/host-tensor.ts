/**
 * Plain in-memory tensors for calibration/evaluation data. They carry no onnxruntime types so the readers stay
 * independent of the runtime; `worker/runtime/ort.ts` turns them into ORT tensors.
 */

/** Element types the data readers produce, named like ONNX element types (contracts TTensorInfo.elemType). */
export const HOST_DTYPES = [
  "float32",
  "float16",
  "float64",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "bool",
] as const;
export type THostDtype = (typeof HOST_DTYPES)[number];

export type TTypedArray =
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
 * A dense, C-ordered tensor. float16 is stored as raw bits in a Uint16Array and bool as 0/1 bytes in a Uint8Array,
 * which is what onnxruntime-node accepts for those types.
 */
export type THostTensor = { dtype: THostDtype; dims: number[]; data: TTypedArray };

/** A model feed: input name -> tensor. */
export type THostFeeds = Record<string, THostTensor>;

/** Bytes per element of each host dtype. */
export const HOST_DTYPE_BYTES: Readonly<Record<THostDtype, number>> = {
  float32: 4,
  float16: 2,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
};

/** Number of elements of a shape (1 for a scalar). */
export function countElements(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * Creates a typed array of the dtype over a copy of `bytes` (little-endian element bytes).
 * Copies so the result is aligned and independent of the (possibly huge) source buffer.
 */
export function createTypedArrayFromBytes(dtype: THostDtype, bytes: Uint8Array): TTypedArray {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const n = bytes.byteLength / HOST_DTYPE_BYTES[dtype];
  const b = copy.buffer;
  switch (dtype) {
    case "float32":
      return new Float32Array(b, 0, n);
    case "float64":
      return new Float64Array(b, 0, n);
    case "float16":
    case "uint16":
      return new Uint16Array(b, 0, n);
    case "int8":
      return new Int8Array(b, 0, n);
    case "uint8":
    case "bool":
      return new Uint8Array(b, 0, n);
    case "int16":
      return new Int16Array(b, 0, n);
    case "int32":
      return new Int32Array(b, 0, n);
    case "uint32":
      return new Uint32Array(b, 0, n);
    case "int64":
      return new BigInt64Array(b, 0, n);
    case "uint64":
      return new BigUint64Array(b, 0, n);
  }
}

/** Allocates a zeroed typed array for `n` elements of the dtype. */
export function allocateTypedArray(dtype: THostDtype, n: number): TTypedArray {
  return createTypedArrayFromBytes(dtype, new Uint8Array(n * HOST_DTYPE_BYTES[dtype]));
}

/** The little-endian bytes of a typed array (a view, no copy). */
export function viewBytes(data: TTypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Rows [start, start+count) along axis 0 (copied). */
export function sliceRows(t: THostTensor, start: number, count: number): THostTensor {
  const rowElems = countElements(t.dims.slice(1));
  const bytesPer = HOST_DTYPE_BYTES[t.dtype];
  const bytes = viewBytes(t.data).subarray(start * rowElems * bytesPer, (start + count) * rowElems * bytesPer);
  return { dtype: t.dtype, dims: [count, ...t.dims.slice(1)], data: createTypedArrayFromBytes(t.dtype, bytes) };
}

/** Concatenates tensors of the same dtype and trailing shape along axis 0. */
export function concatRows(parts: readonly THostTensor[]): THostTensor {
  const first = parts[0];
  if (!first) throw new Error("concatRows needs at least one tensor");
  const total = parts.reduce((s, p) => s + p.data.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(viewBytes(p.data), off);
    off += p.data.byteLength;
  }
  const rows = parts.reduce((s, p) => s + (p.dims[0] ?? 1), 0);
  return { dtype: first.dtype, dims: [rows, ...first.dims.slice(1)], data: createTypedArrayFromBytes(first.dtype, out) };
}

/**
 * Reads any numeric host tensor as float64 values (float16 decoded, bool as 0/1, int64 via Number).
 * Used by the metrics, which accumulate in float64.
 */
export function readAsFloat64(t: THostTensor): Float64Array {
  const n = t.data.length;
  const out = new Float64Array(n);
  if (t.dtype === "float16") {
    const d = t.data as Uint16Array;
    for (let i = 0; i < n; i++) out[i] = decodeFloat16(d[i]);
  } else if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) {
    const d = t.data;
    for (let i = 0; i < n; i++) out[i] = Number(d[i]);
  } else {
    const d = t.data as Exclude<TTypedArray, BigInt64Array | BigUint64Array>;
    for (let i = 0; i < n; i++) out[i] = d[i];
  }
  return out;
}

/** IEEE 754 half -> number (subnormals, inf and NaN included). */
export function decodeFloat16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Formats a shape for messages, e.g. `[1, 3, 48, 192]`. */
export function formatDims(dims: readonly (number | string | null)[] | undefined): string {
  if (!dims) return "[?]";
  return `[${dims.map((d) => (d === null ? "?" : String(d))).join(", ")}]`;
}
