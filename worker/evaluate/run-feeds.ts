import { HOST_DTYPES, readAsFloat64, type THostDtype, type THostFeeds, type THostTensor } from "../data/host-tensor";
import { numberToFloat16Bits } from "../onnx/dtypes";
import type { TInferenceSession, TRuntimeTensor } from "../runtime/ort";

/**
 * Bridges host tensors (data readers, metrics) and runtime tensors (worker/runtime/ort.ts). Both are plain
 * {type, dims, data} records, so this is a relabelling, never a copy.
 */

const HOST_DTYPE_SET: ReadonlySet<string> = new Set(HOST_DTYPES);

/** Host feeds -> runtime feeds. */
export function toRuntimeFeeds(feeds: THostFeeds): Record<string, TRuntimeTensor> {
  const out: Record<string, TRuntimeTensor> = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = { type: t.dtype, dims: t.dims, data: t.data };
  return out;
}

/** Runtime outputs -> host tensors; non-numeric outputs (strings, int4) are left out, they cannot be compared numerically. */
export function toHostOutputs(outputs: Record<string, TRuntimeTensor>): Record<string, THostTensor> {
  const out: Record<string, THostTensor> = {};
  for (const [name, t] of Object.entries(outputs)) {
    if (!HOST_DTYPE_SET.has(t.type) || Array.isArray(t.data)) continue;
    out[name] = { dtype: t.type as THostDtype, dims: [...t.dims], data: t.data as THostTensor["data"] };
  }
  return out;
}

/** Runs a session on host feeds and returns its numeric outputs as host tensors. */
export async function runOnHostFeeds(session: TInferenceSession, feeds: THostFeeds): Promise<Record<string, THostTensor>> {
  return toHostOutputs(await session.run(toRuntimeFeeds(feeds)));
}

/**
 * Converts float feeds to the element types a model declares (float32 <-> float16 <-> float64), so one feed set can
 * drive an original float32 model and a compressed one with float16 I/O. Other mismatches are left for the runtime
 * to report.
 */
export function adaptFeedsToInputs(feeds: THostFeeds, inputs: readonly { name: string; elemType: string }[]): THostFeeds {
  const out: THostFeeds = { ...feeds };
  for (const info of inputs) {
    const t = feeds[info.name];
    if (!t || t.dtype === info.elemType) continue;
    const floats = ["float32", "float16", "float64"];
    if (!floats.includes(t.dtype) || !floats.includes(info.elemType)) continue;
    const values = readAsFloat64(t);
    let data: THostTensor["data"];
    if (info.elemType === "float16") data = Uint16Array.from(values, (v) => numberToFloat16Bits(v));
    else if (info.elemType === "float64") data = values;
    else data = Float32Array.from(values);
    out[info.name] = { dtype: info.elemType as THostDtype, dims: t.dims, data };
  }
  return out;
}
