/**
 * Multiply-accumulate and parameter counts for the common ops (Conv, ConvTranspose, MatMul, Gemm, pooling,
 * normalization and elementwise), computed from tensor shapes. Static shape inference cannot tell every shape in
 * real models (dynamic Reshape targets, Resize scales), so shapes are observed in onnxruntime: every intermediate
 * value becomes a graph output and the model runs once on generated (or given) inputs.
 */
import { AppError } from "../../contracts/app-error";
import { generateInputs, generateRunnableInputs, type TGenerateInputsOptions } from "../data/generate-inputs";
import { DTYPE, tensorElementCount } from "../onnx/dtypes";
import { OnnxGraph, getAttrInt, getAttrInts } from "../onnx/graph";
import { decodeModel, encodeModel } from "../onnx/model-io";
import type { TModelProto, TNodeProto } from "../onnx/onnx-proto";
import { createInferenceSession, type TRuntimeTensor } from "../runtime/ort";

/** Observed dims per value name (graph inputs, node outputs). */
export type TValueShapes = Map<string, number[]>;

export type TMacsCount = {
  /** Multiply-accumulates of one inference on `inputShapes`. */
  macs: number;
  /** Scalar weights: elements of float constants read by nodes of the main graph. */
  params: number;
  /** MACs per op type. */
  macsByOpType: Record<string, number>;
  /** MACs per node name (nodes without a name are keyed by their first output). */
  macsByNode: Record<string, number>;
  /** The input shapes the MACs were counted for. */
  inputShapes: Record<string, number[]>;
};

/** Options for observing shapes: explicit feeds, or generation options (default: symbolic dims 1, inner dims 64). */
export type TObserveShapesOptions = {
  feeds?: Record<string, TRuntimeTensor>;
  generate?: TGenerateInputsOptions;
};

const ELEMENTWISE_OPS: ReadonlySet<string> = new Set([
  "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid",
  "HardSigmoid", "HardSwish", "Tanh", "Exp", "Log", "Sqrt", "Erf", "Elu", "Selu", "Softplus", "Gelu", "Mish", "Neg",
  "Abs", "Reciprocal", "Softmax", "LogSoftmax", "BatchNormalization", "InstanceNormalization", "LayerNormalization",
]);

/**
 * Runs the model once with every node output fetched and returns the observed dims of each value.
 * Only main-graph values are observed (subgraph values are not visible from outside).
 */
export async function observeValueShapes(model: TModelProto, opts: TObserveShapesOptions = {}): Promise<{ shapes: TValueShapes; feeds: Record<string, TRuntimeTensor> }> {
  const probe = decodeModel(encodeModel(model));
  const g = probe.graph!;
  const existing = new Set(g.output.map((o) => o.name ?? ""));
  const inits = new Set(g.initializer.map((t) => t.name ?? ""));
  for (const n of g.node) {
    for (const o of n.output) {
      if (o === "" || existing.has(o) || inits.has(o)) continue;
      // Untyped outputs are accepted: onnxruntime infers their types when it resolves the graph.
      g.output.push({ name: o, metadataProps: [] });
      existing.add(o);
    }
  }
  let session;
  try {
    session = await createInferenceSession(encodeModel(probe), { graphOptimizationLevel: "disabled", intraOpThreads: 1 });
  } catch (err) {
    throw new AppError("UNPROCESSABLE", {
      userMessage: `onnxruntime could not load the model to observe its shapes: ${(err as Error).message?.split("\n")[0]}`,
      cause: err,
    });
  }
  try {
    let feeds = opts.feeds;
    if (!feeds) {
      const gen = { dynamicDimSize: 1, innerDynamicDimSize: 64, seed: 0, ...opts.generate };
      try {
        feeds = generateInputs(model, gen);
        await session.run(feeds, session.outputNames.slice(0, 1));
      } catch {
        feeds = (await generateRunnableInputs(session, model, { dynamicDimSize: 1, seed: 0 })).feeds;
      }
    }
    const out = await session.run(feeds);
    const shapes: TValueShapes = new Map();
    for (const [name, t] of Object.entries(feeds)) shapes.set(name, [...t.dims]);
    for (const [name, t] of Object.entries(out)) shapes.set(name, [...t.dims]);
    return { shapes, feeds };
  } finally {
    await session.release();
  }
}

function product(dims: readonly number[] | undefined): number {
  return (dims ?? []).reduce((a, b) => a * b, 1);
}

/** Counts MACs of one node from observed shapes and its weight dims; 0 for ops that do no arithmetic. */
function countNodeMacs(node: TNodeProto, graph: OnnxGraph, shapes: TValueShapes): number {
  const op = node.opType ?? "";
  const outDims = shapes.get(node.output[0] ?? "");
  const inDims = shapes.get(node.input[0] ?? "");
  const weightDims = (i: number) => graph.findConstant(node.input[i] ?? "")?.dims ?? shapes.get(node.input[i] ?? "");
  switch (op) {
    case "Conv": {
      const w = weightDims(1);
      return w && outDims ? product(outDims) * product(w.slice(1)) : 0;
    }
    case "ConvTranspose": {
      const w = weightDims(1);
      return w && inDims ? product(inDims) * product(w.slice(1)) : 0;
    }
    case "MatMul": {
      const a = inDims;
      return a && outDims ? product(outDims) * (a[a.length - 1] ?? 1) : 0;
    }
    case "Gemm": {
      const a = inDims;
      if (!a || !outDims) return 0;
      const k = getAttrInt(node, "transA", 0) ? a[0] : a[a.length - 1];
      return product(outDims) * k;
    }
    case "MaxPool":
    case "AveragePool":
    case "LpPool":
      return outDims ? product(outDims) * product(getAttrInts(node, "kernel_shape", [1])) : 0;
    case "GlobalAveragePool":
    case "GlobalMaxPool":
    case "ReduceMean":
    case "ReduceSum":
      return inDims ? product(inDims) : 0;
    default:
      return ELEMENTWISE_OPS.has(op) && outDims ? product(outDims) : 0;
  }
}

/** Scalar weights: float constants (initializers and Constant nodes) read by main-graph nodes, each counted once. */
export function countParams(model: TModelProto): number {
  const g = new OnnxGraph(model.graph!);
  const seen = new Set<string>();
  let params = 0;
  for (const n of g.graph.node) {
    for (const i of n.input) {
      if (i === "" || seen.has(i)) continue;
      seen.add(i);
      const t = g.findConstant(i);
      if (t && (t.dataType === DTYPE.FLOAT || t.dataType === DTYPE.FLOAT16 || t.dataType === DTYPE.BFLOAT16 || t.dataType === DTYPE.DOUBLE)) {
        params += tensorElementCount(t);
      }
    }
  }
  for (const s of g.graph.sparseInitializer) params += product(s.dims);
  return params;
}

/**
 * Counts MACs and parameters. Shapes come from `shapes` when given (observed earlier on the same inputs), else they
 * are observed in onnxruntime with `opts`.
 */
export async function countMacs(model: TModelProto, opts: TObserveShapesOptions & { shapes?: TValueShapes } = {}): Promise<TMacsCount> {
  let shapes = opts.shapes;
  let inputShapes: Record<string, number[]> = {};
  if (!shapes) {
    const observed = await observeValueShapes(model, opts);
    shapes = observed.shapes;
    inputShapes = Object.fromEntries(Object.entries(observed.feeds).map(([k, t]) => [k, [...t.dims]]));
  }
  return countMacsWithShapes(model, shapes, inputShapes);
}

/** MACs from already observed shapes (no runtime call). */
export function countMacsWithShapes(model: TModelProto, shapes: TValueShapes, inputShapes: Record<string, number[]> = {}): TMacsCount {
  const g = new OnnxGraph(model.graph!);
  const macsByOpType: Record<string, number> = {};
  const macsByNode: Record<string, number> = {};
  let macs = 0;
  for (const n of g.graph.node) {
    const m = countNodeMacs(n, g, shapes);
    if (m === 0) continue;
    macs += m;
    macsByOpType[n.opType ?? ""] = (macsByOpType[n.opType ?? ""] ?? 0) + m;
    macsByNode[n.name || n.output[0] || "?"] = m;
  }
  return { macs, params: countParams(model), macsByOpType, macsByNode, inputShapes };
}
