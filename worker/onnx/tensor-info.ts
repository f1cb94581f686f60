/**
 * Model signature summaries shared by the streaming inspector, analyze and input generation.
 */
import type { TTensorInfo } from "../../contracts/report";
import { dtypeName } from "./dtypes";
import type { TGraphProto, TModelProto, TTypeProto, TValueInfoProto } from "./onnx-proto";

/** What `inspectOnnxStream` returns and `summarizeModel` computes from a decoded model (they must agree). */
export type TOnnxSummary = {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsets: { domain: string; version: number }[];
  graphName: string;
  /** Graph inputs that are not initializers (what a caller must feed). */
  inputs: TTensorInfo[];
  outputs: TTensorInfo[];
  /** Nodes of the main graph (subgraphs not included). */
  nodeCount: number;
  /** Dense plus sparse initializers of the main graph. */
  initializerCount: number;
};

/** Element type name of a TypeProto: "float32" for tensors, "sequence<float32>", "map<int64,float32>", ... */
export function describeType(type: TTypeProto | undefined): string {
  if (!type) return "unknown";
  if (type.tensorType) return dtypeName(type.tensorType.elemType);
  if (type.sparseTensorType) return `sparse<${dtypeName(type.sparseTensorType.elemType)}>`;
  if (type.sequenceType) return `sequence<${describeType(type.sequenceType.elemType)}>`;
  if (type.mapType) return `map<${dtypeName(type.mapType.keyType)},${describeType(type.mapType.valueType)}>`;
  if (type.optionalType) return `optional<${describeType(type.optionalType.elemType)}>`;
  return "unknown";
}

/** ValueInfo → report TTensorInfo (symbolic dims by name, unknown dims null, shape absent when rank unknown). */
export function toTensorInfo(v: TValueInfoProto): TTensorInfo {
  const info: TTensorInfo = { name: v.name ?? "", elemType: describeType(v.type) };
  const shape = v.type?.tensorType?.shape ?? v.type?.sparseTensorType?.shape;
  if (shape) {
    info.shape = shape.dim.map((d) => (d.dimValue !== undefined ? d.dimValue : d.dimParam !== undefined && d.dimParam !== "" ? d.dimParam : null));
  }
  return info;
}

/** Graph inputs a caller must feed: declared inputs minus initializers (IR < 4 lists weights as inputs too). */
export function listFeedInputs(graph: TGraphProto): TValueInfoProto[] {
  const inits = new Set<string>();
  for (const t of graph.initializer) if (t.name) inits.add(t.name);
  for (const s of graph.sparseInitializer) if (s.values?.name) inits.add(s.values.name);
  return graph.input.filter((i) => !inits.has(i.name ?? ""));
}

/** The summary of a decoded model; equals what `inspectOnnxStream` returns for its bytes. */
export function summarizeModel(model: TModelProto): TOnnxSummary {
  const g = model.graph;
  return {
    irVersion: model.irVersion ?? 0,
    producerName: model.producerName ?? "",
    producerVersion: model.producerVersion ?? "",
    opsets: model.opsetImport.map((o) => ({ domain: o.domain ?? "", version: o.version ?? 0 })),
    graphName: g?.name ?? "",
    inputs: g ? listFeedInputs(g).map(toTensorInfo) : [],
    outputs: g ? g.output.map(toTensorInfo) : [],
    nodeCount: g?.node.length ?? 0,
    initializerCount: (g?.initializer.length ?? 0) + (g?.sparseInitializer.length ?? 0),
  };
}
