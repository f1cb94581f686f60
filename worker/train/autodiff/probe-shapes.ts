/**
 * Static shapes of every value in a graph, observed by running it once in onnxruntime with every node output
 * exposed. The training graph is built for one fixed batch size, so observed shapes are exact and gradient rules
 * can emit constant shapes, axes and paddings instead of run-time shape arithmetic.
 */
import { AppError } from "../../../contracts/app-error";
import { DTYPE } from "../../onnx/dtypes";
import { encodeModel } from "../../onnx/model-io";
import type { TModelProto } from "../../onnx/onnx-proto";
import { createInferenceSession, type TRuntimeTensor } from "../../runtime/ort";

/** Shapes by value name (graph inputs, initializers and node outputs). */
export type TShapeMap = Map<string, number[]>;

/** Runs `model` once on deterministic dummy feeds of `feedShapes` and returns the shape of every value. */
export async function probeValueShapes(model: TModelProto, feedShapes: Record<string, readonly number[]>): Promise<TShapeMap> {
  const graph = model.graph!;
  const shapes: TShapeMap = new Map();
  for (const t of graph.initializer) shapes.set(t.name ?? "", [...t.dims]);
  const probe: TModelProto = { ...model, graph: { ...graph, output: [] } };
  const seen = new Set<string>(graph.initializer.map((t) => t.name ?? ""));
  for (const n of graph.node) {
    for (const o of n.output) {
      if (o === "" || seen.has(o)) continue;
      seen.add(o);
      // Untyped graph outputs are accepted: onnxruntime infers their types.
      probe.graph!.output.push({ name: o, metadataProps: [] });
    }
  }
  const feeds: Record<string, TRuntimeTensor> = {};
  for (const input of graph.input) {
    const name = input.name ?? "";
    if (shapes.has(name)) continue;
    const dims = feedShapes[name];
    if (!dims) throw new AppError("BAD_INPUT", { userMessage: `no shape given for model input "${name}"` });
    shapes.set(name, [...dims]);
    feeds[name] = createDummyTensor(input.type?.tensorType?.elemType ?? DTYPE.FLOAT, dims);
  }
  if (probe.graph!.output.length === 0) return shapes;
  const session = await createInferenceSession(encodeModel(probe), { intraOpThreads: 1, graphOptimizationLevel: "disabled" });
  try {
    const out = await session.run(feeds);
    for (const [name, t] of Object.entries(out)) shapes.set(name, [...t.dims]);
  } finally {
    await session.release();
  }
  return shapes;
}

function createDummyTensor(elemType: number, dims: readonly number[]): TRuntimeTensor {
  const count = dims.reduce((a, b) => a * b, 1);
  switch (elemType) {
    case DTYPE.FLOAT: {
      const data = new Float32Array(count);
      // Small distinct values avoid degenerate paths (division by zero) without depending on a random generator.
      for (let i = 0; i < count; i++) data[i] = 0.1 + ((i * 7919) % 97) / 97;
      return { type: "float32", dims, data };
    }
    case DTYPE.INT64:
      return { type: "int64", dims, data: new BigInt64Array(count) };
    case DTYPE.INT32:
      return { type: "int32", dims, data: new Int32Array(count) };
    case DTYPE.BOOL:
      return { type: "bool", dims, data: new Uint8Array(count) };
    default:
      throw new AppError("UNPROCESSABLE", { userMessage: `training supports float32/int64/int32/bool model inputs, not element type ${elemType}` });
  }
}
