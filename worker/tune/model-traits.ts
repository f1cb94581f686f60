/**
 * What the search strategy needs to know about a model (and the QDQ structure check of the no-regression gate):
 * op counts from the decoded graph, read once by the coordinator.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { decodeModel } from "../onnx/model-io";
import { forEachNode, forEachTensor } from "../onnx/graph";
import type { TModelProto } from "../onnx/onnx-proto";
import { createInferenceSession } from "../runtime/ort";
import type { TModelTraits } from "./search-strategy";
import type { TQdqCheck } from "./tune-selection";

const MATMUL_OPS: ReadonlySet<string> = new Set(["MatMul", "Gemm"]);
/** Float compute ops whose int8 form (QLinearConv, QLinearMatMul, MatMulInteger, ...) is what QDQ is for. */
const COMPUTE_OPS: ReadonlySet<string> = new Set(["Conv", "MatMul", "Gemm", "ConvTranspose"]);
/** Their quantized kernels after onnxruntime's QDQ fusion. */
const QUANTIZED_COMPUTE_OPS: ReadonlySet<string> = new Set(["QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QGemm", "MatMulNBits", "QLinearConvTranspose"]);

/** Counts Conv and MatMul/Gemm nodes and the largest weight, for the search strategy. */
export function describeModelTraits(model: TModelProto, sizeBytes: number): TModelTraits {
  let convCount = 0;
  let matmulCount = 0;
  forEachNode(model, (node) => {
    if (node.opType === "Conv") convCount++;
    else if (MATMUL_OPS.has(node.opType ?? "")) matmulCount++;
  });
  let largestWeightElements = 0;
  const countElements = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  // Initializers and Constant-node values alike (PP-OCR models keep their weights in Constant nodes).
  forEachTensor(model, (t) => {
    if (t.dims.length >= 2) largestWeightElements = Math.max(largestWeightElements, countElements(t.dims));
  });
  return { sizeBytes, convCount, matmulCount, largestWeightElements };
}

/** Decodes model bytes and describes them. */
export function describeModelBytes(bytes: Uint8Array): TModelTraits {
  return describeModelTraits(decodeModel(bytes), bytes.byteLength);
}

/**
 * Counts, in a decoded (optimized) graph, float compute nodes fed by DequantizeLinear — the (de)quantization is paid
 * but the int8 kernel is not used — against all compute nodes (float and quantized kernels).
 */
export function countUnfusedQdq(model: TModelProto): TQdqCheck {
  const producers = new Map<string, string>();
  forEachNode(model, (node) => {
    for (const out of node.output) producers.set(out, node.opType ?? "");
  });
  let computeNodes = 0;
  let unfusedComputeNodes = 0;
  let quantizedComputeNodes = 0;
  forEachNode(model, (node) => {
    const op = node.opType ?? "";
    if (QUANTIZED_COMPUTE_OPS.has(op)) {
      computeNodes++;
      quantizedComputeNodes++;
    } else if (COMPUTE_OPS.has(op)) {
      computeNodes++;
      if (producers.get(node.input[0] ?? "") === "DequantizeLinear") unfusedComputeNodes++;
    }
  });
  return { computeNodes, unfusedComputeNodes, quantizedComputeNodes };
}

/**
 * The no-regression gate's structure check, done on what the runtime actually executes: the trial's model is
 * loaded in onnxruntime (CPU, all graph optimizations, like the worker measures it), the optimized graph is saved via
 * the runtime module and decoded, and DequantizeLinear → float Conv/MatMul pairs left unfused are counted.
 * Only models that contain DequantizeLinear are loaded (others have no QDQ to fuse).
 */
export async function checkQdqFusion(modelBytes: Uint8Array): Promise<TQdqCheck | undefined> {
  const model = decodeModel(modelBytes);
  let hasDq = false;
  forEachNode(model, (node) => {
    if (node.opType === "DequantizeLinear") hasDq = true;
  });
  if (!hasDq) return undefined;
  const dir = await mkdtemp(path.join(os.tmpdir(), "condense-qdq-"));
  try {
    const file = path.join(dir, "optimized.onnx");
    const session = await createInferenceSession(modelBytes, { intraOpThreads: 1, optimizedModelFilePath: file });
    await session.release();
    return countUnfusedQdq(decodeModel(new Uint8Array(await readFile(file))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
