/** Small helpers shared by gradient rules. */
import { AppError } from "../../../../contracts/app-error";
import { describeNode, getAttrFloat, getAttrInt, getAttrInts, getAttrString } from "../../../onnx/graph";
import type { TNodeProto } from "../../../onnx/onnx-proto";

export { getAttrFloat, getAttrInt, getAttrInts, getAttrString };

/** The error for an attribute combination a rule does not differentiate. */
export function throwUnsupported(node: TNodeProto, why: string): never {
  throw new AppError("UNPROCESSABLE", {
    message: `no gradient for ${node.opType} node ${describeNode(node)}: ${why}`,
    userMessage: `Training cannot differentiate the ${node.opType} node "${describeNode(node)}" (${why}). Freeze the layers before it or use a model without it.`,
    details: { opType: node.opType, node: describeNode(node) },
  });
}

/** Normalizes a possibly negative axis. */
export function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Permutation that swaps the last two axes. */
export function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
}
