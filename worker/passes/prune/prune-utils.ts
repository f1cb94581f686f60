/**
 * Small model helpers shared by the pruning passes: copying, moving Constant-node weights into initializers,
 * reading/writing float weights per node input, slicing along an axis, and dropping unused initializers.
 */
import { DTYPE, createTensor, readTensorAsFloat32 } from "../../onnx/dtypes";
import { OnnxGraph, readConstantNodeTensor } from "../../onnx/graph";
import { decodeModel, encodeModel } from "../../onnx/model-io";
import type { TGraphProto, TModelProto, TNodeProto } from "../../onnx/onnx-proto";

/** Op types whose input 1 is a weight that the pruning passes understand. */
export const WEIGHT_OP_TYPES: ReadonlySet<string> = new Set(["Conv", "ConvTranspose", "MatMul", "Gemm"]);

/** Deep copy through the codec: cheap, and independent of the zero-copy buffers the decoded model points into. */
export function cloneModel(model: TModelProto): TModelProto {
  return decodeModel(encodeModel(model));
}

/** Display key of a node in reports: its name, else its first output. */
export function nodeKey(node: TNodeProto): string {
  return node.name || node.output[0] || "?";
}

/**
 * Turns the main graph's Constant nodes into initializers (PaddlePaddle exports keep every weight in Constant
 * nodes), so weights can be edited and stored as sparse initializers. Returns how many moved.
 */
export function moveConstantsToInitializers(graph: TGraphProto): number {
  const keep: TNodeProto[] = [];
  let moved = 0;
  for (const n of graph.node) {
    const t = n.opType === "Constant" && (n.domain ?? "") === "" ? readConstantNodeTensor(n) : undefined;
    if (t && n.output[0]) {
      graph.initializer.push({ ...t, name: n.output[0] });
      moved++;
    } else {
      keep.push(n);
    }
  }
  graph.node = keep;
  return moved;
}

/** A float32 weight read from a node input (initializer or Constant node). */
export type TWeight = { name: string; dims: number[]; values: Float32Array };

/** Reads a float32 constant input of `node`; undefined when the input is not a float32 constant. */
export function readWeight(graph: OnnxGraph, node: TNodeProto, inputIndex: number): TWeight | undefined {
  const name = node.input[inputIndex];
  if (!name) return undefined;
  const t = graph.findConstant(name);
  if (!t || t.dataType !== DTYPE.FLOAT) return undefined;
  return { name, dims: [...t.dims], values: readTensorAsFloat32(t) };
}

/**
 * Replaces a node's constant input with new values under a fresh initializer name (other readers of the old
 * constant keep it); the old one is removed later by `removeUnusedInitializers` if nothing reads it.
 */
export function writeWeight(graph: OnnxGraph, node: TNodeProto, inputIndex: number, dims: number[], values: Float32Array): string {
  const name = graph.createUniqueName(`${node.input[inputIndex]}_pruned`);
  graph.setInitializer(createTensor(name, DTYPE.FLOAT, dims, values));
  node.input[inputIndex] = name;
  graph.invalidate();
  return name;
}

/** Keeps only `keep` indices along `axis` of a row-major tensor. */
export function sliceAxis(values: Float32Array, dims: readonly number[], axis: number, keep: readonly number[]): { dims: number[]; values: Float32Array } {
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const size = dims[axis];
  const out = new Float32Array(outer * keep.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const k of keep) {
      if (k < 0 || k >= size) throw new Error(`sliceAxis: index ${k} outside 0..${size - 1}`);
      const src = (a * size + k) * inner;
      out.set(values.subarray(src, src + inner), o);
      o += inner;
    }
  }
  const newDims = [...dims];
  newDims[axis] = keep.length;
  return { dims: newDims, values: out };
}

/** Removes initializers (dense and sparse) that no node of any graph reads and that are not graph outputs. */
export function removeUnusedInitializers(graph: TGraphProto): number {
  const g = new OnnxGraph(graph);
  const used = (name: string) => g.getConsumers(name).length > 0 || graph.output.some((o) => o.name === name);
  const removed = new Set<string>();
  graph.initializer = graph.initializer.filter((t) => used(t.name ?? "") || (removed.add(t.name ?? ""), false));
  graph.sparseInitializer = graph.sparseInitializer.filter((s) => used(s.values?.name ?? "") || (removed.add(s.values?.name ?? ""), false));
  // IR < 4 models list initializers as graph inputs too: drop those of removed initializers.
  graph.input = graph.input.filter((v) => !removed.has(v.name ?? ""));
  return removed.size;
}
