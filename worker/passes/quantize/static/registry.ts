/**
 * Per-op QDQ behaviour, one entry per op type (onnxruntime's quantization `registry.py` pattern).
 * Ops not listed stay float.
 */
import { CONV_HANDLER } from "./handlers/conv";
import { GEMM_HANDLER, MATMUL_HANDLER } from "./handlers/matmul";
import { ARITHMETIC_HANDLER, BINARY_ARITHMETIC_HANDLER, HARD_SWISH_HANDLER, SCALE_PRESERVING_HANDLER } from "./handlers/pass-through";
import type { TQdqHandler } from "./qdq-types";

export const QDQ_HANDLERS: ReadonlyMap<string, TQdqHandler> = new Map<string, TQdqHandler>([
  ["Conv", CONV_HANDLER],
  ["MatMul", MATMUL_HANDLER],
  ["Gemm", GEMM_HANDLER],
  ["MaxPool", SCALE_PRESERVING_HANDLER],
  ["Resize", SCALE_PRESERVING_HANDLER],
  ["Reshape", SCALE_PRESERVING_HANDLER],
  ["Transpose", SCALE_PRESERVING_HANDLER],
  ["Squeeze", SCALE_PRESERVING_HANDLER],
  ["Unsqueeze", SCALE_PRESERVING_HANDLER],
  ["Flatten", SCALE_PRESERVING_HANDLER],
  ["Add", BINARY_ARITHMETIC_HANDLER],
  ["Mul", BINARY_ARITHMETIC_HANDLER],
  ["HardSwish", HARD_SWISH_HANDLER],
  ["Concat", ARITHMETIC_HANDLER],
  ["GlobalAveragePool", ARITHMETIC_HANDLER],
  ["AveragePool", ARITHMETIC_HANDLER],
  ["Sigmoid", ARITHMETIC_HANDLER],
  ["LeakyRelu", ARITHMETIC_HANDLER],
]);
