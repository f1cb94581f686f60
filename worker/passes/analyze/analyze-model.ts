/**
 * The `analyze` pass's model inspection: IR, producer, opsets, IO, node count and op histogram, and parameter
 * statistics by dtype. Everything counts nested graphs (If/Loop/Scan bodies), where models such as silero VAD keep
 * their weights.
 */
import type { TModelAnalysis } from "../../../contracts/report";
import { DTYPE, dtypeByteLength, dtypeName, getDtype, tensorElementCount } from "../../onnx/dtypes";
import { forEachGraph, readConstantNodeTensor } from "../../onnx/graph";
import type { TModelProto, TTensorProto } from "../../onnx/onnx-proto";
import { listFeedInputs, toTensorInfo } from "../../onnx/tensor-info";

/** Histogram key of an op: "Conv", or "com.microsoft.MatMulNBits" outside the default domain. */
export function opHistogramKey(opType: string | undefined, domain: string | undefined): string {
  const d = domain ?? "";
  return d === "" || d === "ai.onnx" ? (opType ?? "?") : `${d}.${opType ?? "?"}`;
}

type TParamStats = TModelAnalysis["parameters"];

function addTensor(stats: TParamStats, t: TTensorProto): void {
  const d = getDtype(t.dataType);
  const count = tensorElementCount(t);
  const bytes = d.id === DTYPE.STRING ? t.stringData.reduce((a, s) => a + s.length, 0) : dtypeByteLength(d.id, count);
  stats.count += count;
  stats.bytes += bytes;
  const key = dtypeName(t.dataType);
  const entry = (stats.byDtype[key] ??= { count: 0, bytes: 0 });
  entry.count += count;
  entry.bytes += bytes;
}

/** Parameter statistics: initializers, sparse initializers (stored values) and Constant nodes, in every graph. */
export function countParameters(model: TModelProto): TParamStats {
  const stats: TParamStats = { count: 0, bytes: 0, byDtype: {} };
  forEachGraph(model, (g) => {
    for (const t of g.initializer) addTensor(stats, t);
    for (const s of g.sparseInitializer) {
      if (s.values) addTensor(stats, s.values);
      if (s.indices) {
        // Indices are storage overhead, not parameters: count their bytes only.
        const idx = s.indices;
        const bytes = dtypeByteLength(getDtype(idx.dataType).id, tensorElementCount(idx));
        stats.bytes += bytes;
        const key = dtypeName(idx.dataType);
        (stats.byDtype[key] ??= { count: 0, bytes: 0 }).bytes += bytes;
      }
    }
    for (const n of g.node) {
      const t = readConstantNodeTensor(n);
      if (t) addTensor(stats, t);
    }
  });
  return stats;
}

/** Analyzes a decoded model (no runtime needed). */
export function analyzeModel(model: TModelProto): TModelAnalysis {
  const opHistogram: Record<string, number> = {};
  let nodeCount = 0;
  forEachGraph(model, (g) => {
    for (const n of g.node) {
      nodeCount++;
      const key = opHistogramKey(n.opType, n.domain);
      opHistogram[key] = (opHistogram[key] ?? 0) + 1;
    }
  });
  const g = model.graph;
  const producer = [model.producerName ?? "", model.producerVersion ?? ""].filter((s) => s !== "").join(" ");
  return {
    irVersion: model.irVersion ?? 0,
    producer,
    opsets: model.opsetImport.map((o) => ({ domain: o.domain ?? "", version: o.version ?? 0 })),
    inputs: g ? listFeedInputs(g).map(toTensorInfo) : [],
    outputs: g ? g.output.map(toTensorInfo) : [],
    nodeCount,
    opHistogram: Object.fromEntries(Object.entries(opHistogram).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    parameters: countParameters(model),
  };
}
