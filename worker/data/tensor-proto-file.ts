import { AppError } from "../../contracts/app-error";
import { TENSOR, decodeProto, encodeProto, createEmptyTensorProto, type TTensorProto } from "../onnx/onnx-proto";
import {
  HOST_DTYPE_BYTES,
  allocateTypedArray,
  countElements,
  createTypedArrayFromBytes,
  viewBytes,
  type THostDtype,
  type THostTensor,
} from "./host-tensor";

/**
 * ONNX TensorProto files (`input_0.pb`, `output_0.pb` of the model-zoo `test_data_set_N/` layout) as host tensors.
 * Only tensors stored inside the file are accepted: external data and strings make no sense as model feeds here.
 */

/** ONNX TensorProto.DataType numbers for the element types the data readers support. */
const ONNX_TO_HOST: ReadonlyMap<number, THostDtype> = new Map([
  [1, "float32"],
  [2, "uint8"],
  [3, "int8"],
  [4, "uint16"],
  [5, "int16"],
  [6, "int32"],
  [7, "int64"],
  [9, "bool"],
  [10, "float16"],
  [11, "float64"],
  [12, "uint32"],
  [13, "uint64"],
]);
const HOST_TO_ONNX: ReadonlyMap<THostDtype, number> = new Map([...ONNX_TO_HOST].map(([k, v]) => [v, k]));

/** Largest tensor a single .pb data file may declare (elements); guards against absurd declared dims. */
const MAX_ELEMENTS = 2 ** 31;

function bad(label: string, why: string): AppError {
  return new AppError("BAD_INPUT", { userMessage: `${label} is not a usable TensorProto (.pb) file: ${why}` });
}

/** Decodes a serialized ONNX TensorProto into a name and a host tensor. */
export function readTensorProto(bytes: Uint8Array, label = "the .pb file"): { name: string; tensor: THostTensor } {
  if (bytes.length === 0) throw bad(label, "the file is empty");
  let t: TTensorProto;
  try {
    t = decodeProto<TTensorProto>(TENSOR, bytes);
  } catch (err) {
    throw new AppError("BAD_INPUT", {
      userMessage: `${label} is not a usable TensorProto (.pb) file: ${(err as Error).message}`,
      cause: err,
    });
  }
  const dtype = ONNX_TO_HOST.get(t.dataType ?? 0);
  if (!dtype) throw bad(label, `element type ${t.dataType ?? "(missing)"} is not supported as model data`);
  if ((t.externalData?.length ?? 0) > 0 || t.dataLocation === 1) throw bad(label, "its data is stored in an external file");
  if (t.segment) throw bad(label, "segmented tensors are not supported");
  const dims = t.dims.map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad(label, `invalid dims [${dims.join(", ")}]`);
  const n = countElements(dims);
  if (n > MAX_ELEMENTS) throw bad(label, `dims [${dims.join(", ")}] declare ${n} elements`);

  let data;
  if (t.rawData && t.rawData.length > 0) {
    const need = n * HOST_DTYPE_BYTES[dtype];
    if (t.rawData.length !== need) {
      throw bad(label, `raw_data has ${t.rawData.length} bytes, dims [${dims.join(", ")}] of ${dtype} need ${need}`);
    }
    data = createTypedArrayFromBytes(dtype, t.rawData);
  } else {
    data = allocateTypedArray(dtype, n);
    const source =
      dtype === "float32"
        ? t.floatData
        : dtype === "float64"
          ? t.doubleData
          : dtype === "int64"
            ? t.int64Data
            : dtype === "uint32" || dtype === "uint64"
              ? t.uint64Data
              : t.int32Data; // int8/uint8/int16/uint16/int32/bool/float16 (bits) live in int32_data
    const len = source?.length ?? 0;
    if (len !== n) throw bad(label, `it holds ${len} values, dims [${dims.join(", ")}] need ${n}`);
    if (source) {
      if (dtype === "uint32") {
        const d = data as Uint32Array;
        const s = source as BigUint64Array;
        for (let i = 0; i < n; i++) d[i] = Number(s[i]);
      } else {
        // Same-kind copy: typed-array set converts number<->number and bigint<->bigint, truncating int32 to the width.
        (data as unknown as { set: (a: ArrayLike<number | bigint>) => void }).set(source as ArrayLike<number | bigint>);
      }
    }
  }
  return { name: t.name ?? "", tensor: { dtype, dims, data } };
}

/** Serialises a host tensor as a TensorProto with raw_data (what onnx.numpy_helper.from_array writes). */
export function encodeTensorProto(name: string, t: THostTensor): Uint8Array {
  const p = createEmptyTensorProto(name);
  p.dims = [...t.dims];
  p.dataType = HOST_TO_ONNX.get(t.dtype);
  p.rawData = viewBytes(t.data).slice();
  return encodeProto(TENSOR, p);
}
