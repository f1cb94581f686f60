/**
 * Detects models that are already quantized or in float16, so passes can refuse to quantize them again
 * (re-quantizing compounds the error and usually breaks ORT's fusions).
 */
import { AppError } from "../../../contracts/app-error";
import type { TModelProto } from "../../onnx/onnx-proto";
import { DTYPE, forEachGraph } from "./onnx-helpers";

/** What precision the model's weights and compute are in. */
export type TQuantizationKind = "float32" | "float16" | "int8" | "int4" | "mixed";
export type TQuantizationDetection = { kind: TQuantizationKind; reason: string };

const INT8_OPS = new Set([
  "QuantizeLinear",
  "DequantizeLinear",
  "QLinearConv",
  "QLinearMatMul",
  "MatMulInteger",
  "ConvInteger",
  "DynamicQuantizeLinear",
  "DynamicQuantizeMatMul",
  "MatMulIntegerToFloat",
  "QLinearAdd",
  "QLinearMul",
  "QGemm",
  "DynamicQuantizeLSTM",
]);
const INT4_OPS = new Set(["MatMulNBits", "MatMulBnb4", "GatherBlockQuantized"]);

/**
 * Classifies a model by its weights (bytes per element type) and quantization ops.
 * A float32 model with a few float16 or int8 helper tensors stays "float32": only weights that carry real bytes count.
 */
export function detectQuantization(model: TModelProto): TQuantizationDetection {
  const bytesByType = new Map<number, number>();
  const opCounts = new Map<string, number>();
  let fp16Values = 0;
  forEachGraph(model.graph!, (g) => {
    // float16 weights that are only ever Cast to float32 are a storage format, not float16 compute.
    const castOnly = new Map<string, boolean>();
    for (const node of g.node) {
      for (const x of node.input) {
        const isCast = node.opType === "Cast" && node.attribute.some((a) => a.name === "to" && Number(a.i) === DTYPE.FLOAT);
        castOnly.set(x, (castOnly.get(x) ?? true) && isCast);
      }
    }
    for (const t of g.initializer) {
      const n = t.dims.reduce((a, b) => a * b, 1);
      const type = t.dataType === DTYPE.FLOAT16 && castOnly.get(t.name ?? "") ? DTYPE.FLOAT : (t.dataType ?? 0);
      bytesByType.set(type, (bytesByType.get(type) ?? 0) + n);
    }
    for (const node of g.node) {
      const op = node.opType ?? "";
      if (INT8_OPS.has(op) || INT4_OPS.has(op)) opCounts.set(op, (opCounts.get(op) ?? 0) + 1);
      if (op === "Constant") {
        const t = node.attribute.find((a) => a.name === "value")?.t;
        if (t) bytesByType.set(t.dataType ?? 0, (bytesByType.get(t.dataType ?? 0) ?? 0) + t.dims.reduce((a, b) => a * b, 1));
      }
    }
    for (const v of [...g.input, ...g.output]) if (v.type?.tensorType?.elemType === DTYPE.FLOAT16) fp16Values++;
  });
  const count = (...types: number[]) => types.reduce((s, t) => s + (bytesByType.get(t) ?? 0), 0);
  const total = [...bytesByType.values()].reduce((a, b) => a + b, 0) || 1;
  const f32 = count(DTYPE.FLOAT, DTYPE.DOUBLE);
  const f16 = count(DTYPE.FLOAT16, DTYPE.BFLOAT16);
  const i8 = count(DTYPE.INT8, DTYPE.UINT8);
  const i4 = count(DTYPE.INT4, DTYPE.UINT4);
  const int4Ops = [...opCounts].filter(([op]) => INT4_OPS.has(op));
  const int8Ops = [...opCounts].filter(([op]) => INT8_OPS.has(op));
  const describe = (ops: [string, number][]) => ops.map(([op, n]) => `${n} ${op}`).join(", ");
  const kinds: { kind: TQuantizationKind; reason: string }[] = [];
  if (int4Ops.length > 0 || i4 / total > 0.05) {
    kinds.push({ kind: "int4", reason: int4Ops.length ? `it contains ${describe(int4Ops)}` : "most weights are 4-bit" });
  }
  // MatMulNBits packs its 4-bit codes in uint8 tensors: those bytes are not int8 weights.
  if (int8Ops.length > 0 || (int4Ops.length === 0 && i8 / total > 0.3)) {
    kinds.push({ kind: "int8", reason: int8Ops.length ? `it contains ${describe(int8Ops)}` : `${Math.round((100 * i8) / total)}% of weights are int8/uint8` });
  }
  if (f16 / total > 0.3 || fp16Values > 0) {
    kinds.push({ kind: "float16", reason: fp16Values > 0 ? "its inputs/outputs are float16" : `${Math.round((100 * f16) / total)}% of weights are float16` });
  }
  if (kinds.length === 0) return { kind: "float32", reason: `${Math.round((100 * f32) / total)}% of weight values are float32` };
  if (kinds.length === 1) return kinds[0];
  return { kind: "mixed", reason: kinds.map((k) => `${k.kind}: ${k.reason}`).join("; ") };
}

/** Throws UNPROCESSABLE unless the model is float32; `what` names the pass for the message. */
export function assertFloatModel(model: TModelProto, what: string): void {
  const d = detectQuantization(model);
  if (d.kind === "float32") return;
  throw new AppError("UNPROCESSABLE", {
    message: `${what}: model is already ${d.kind} (${d.reason})`,
    userMessage:
      `This model is already ${d.kind === "mixed" ? "quantized (mixed precision)" : d.kind} (${d.reason}). ` +
      `Quantizing it again would add error on top of error; upload the original float32 model instead.`,
    details: { detected: d.kind, reason: d.reason },
  });
}
