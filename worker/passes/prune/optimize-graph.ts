/**
 * Exact graph rewrites applied to a pruned model before it is handed on: BatchNormalization folded into the Conv
 * before it, Conv → Mul/Add constants folded, and x·HardSigmoid(x) / x·Clip(x+3, 0, 6)/6 fused into HardSwish
 * (raising the opset to 13/14 where the model allows). On small mobile models onnxruntime's per-node cost, not the
 * MACs pruning removes, dominates latency (ppocr_cls runs in about 2 ms), so a pruned graph that keeps every
 * elementwise node forfeits much of its speed-up. The rewrites change no output beyond float rounding.
 */
import type { TModelProto } from "../../onnx/onnx-proto";
import { prepareForQuantization } from "../quantize/prepare";

export type TGraphOptimizationStats = { batchNormsFolded: number; affineFolded: number; hardSwishFused: number; opsetUpgraded: boolean };

/** Returns an optimized copy of `model`; the input is not modified. */
export function optimizePrunedGraph(model: TModelProto): { model: TModelProto; stats: TGraphOptimizationStats; warnings: string[] } {
  const p = prepareForQuantization(model, { upgradeOpset: true, foldBatchNorm: true, cleanUp: true, refuseQuantized: false });
  const { batchNormsFolded, affineFolded, hardSwishFused, opsetUpgraded } = p.stats;
  return { model: p.model, stats: { batchNormsFolded, affineFolded, hardSwishFused, opsetUpgraded }, warnings: p.warnings };
}
