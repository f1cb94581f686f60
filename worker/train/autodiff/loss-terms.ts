/**
 * Loss terms appended to a forward graph before differentiation. Each term adds its target as a new graph input
 * and emits standard ONNX ops; the autodiff then differentiates the loss like any other part of the graph.
 * All terms average over rows (every axis but the last for class scores, every element for MSE).
 */
import { DTYPE } from "../../onnx/dtypes";
import { createTensorValueInfo } from "../../onnx/onnx-proto";
import { countElements, type GraphBuilder } from "./graph-builder";

export type TLossTerm =
  /** T²·KL(softmax(teacher/T) ‖ softmax(student/T)) over the last axis; the target input takes raw teacher logits. */
  | { kind: "kl-distill"; output: string; temperature: number; weight: number }
  /** Cross-entropy of softmax(student) against a target distribution (one-hot labels) on the last axis. */
  | { kind: "cross-entropy"; output: string; weight: number }
  /** Mean (or summed) squared error against a target of the same shape. */
  | { kind: "mse"; output: string; weight: number; reduction?: "mean" | "sum" };

/** A loss term's target input: what the caller feeds each step. */
export type TLossTarget = { name: string; dims: number[]; term: TLossTerm };

/** Emits the terms; returns the scalar total loss, each term's scalar value and the target inputs to feed. */
export function appendLossTerms(
  b: GraphBuilder,
  terms: readonly TLossTerm[],
  shapeOf: (name: string) => number[],
): { loss: string; termValues: string[]; targets: TLossTarget[] } {
  const termValues: string[] = [];
  const targets: TLossTarget[] = [];
  for (const term of terms) {
    const dims = shapeOf(term.output);
    const target = b.createName(`target_${term.kind}`);
    b.graph.input.push(createTensorValueInfo(target, DTYPE.FLOAT, dims));
    targets.push({ name: target, dims, term });
    termValues.push(emitTerm(b, term, target, dims));
  }
  let loss = termValues.length === 1 && terms[0]!.weight === 1 ? termValues[0]! : "";
  if (!loss) {
    const weighted = termValues.map((v, i) => b.emit1("Mul", [v, b.constFloat([terms[i]!.weight], [])]));
    loss = weighted.reduce((acc, v) => b.emit1("Add", [acc, v]));
  }
  return { loss, termValues, targets };
}

function emitTerm(b: GraphBuilder, term: TLossTerm, target: string, dims: number[]): string {
  const rows = countElements(dims.slice(0, -1));
  const lastAxis = { axis: { int: -1 } };
  const sumAll = (v: string) => b.emit1("ReduceSum", [v], { keepdims: { int: 0 } });
  if (term.kind === "mse") {
    const diff = b.emit1("Sub", [term.output, target]);
    const sse = sumAll(b.emit1("Mul", [diff, diff]));
    return term.reduction === "sum" ? sse : b.emit1("Mul", [sse, b.constFloat([1 / countElements(dims)], [])]);
  }
  if (term.kind === "cross-entropy") {
    const logp = b.emit1("LogSoftmax", [term.output], lastAxis);
    return b.emit1("Mul", [sumAll(b.emit1("Mul", [target, logp])), b.constFloat([-1 / rows], [])]);
  }
  const invT = b.constFloat([1 / term.temperature], []);
  const logq = b.emit1("LogSoftmax", [b.emit1("Mul", [term.output, invT])], lastAxis);
  // The teacher side has no trainable parameter upstream, so it needs no gradient rules.
  const logp = b.emit1("LogSoftmax", [b.emit1("Mul", [target, invT])], lastAxis);
  const p = b.emit1("Exp", [logp]);
  const kl = sumAll(b.emit1("Mul", [p, b.emit1("Sub", [logp, logq])]));
  return b.emit1("Mul", [kl, b.constFloat([(term.temperature * term.temperature) / rows], [])]);
}
