/**
 * The `cluster` pass: k-means weight sharing. Each clustered weight becomes a codebook (k floats per tensor or per
 * channel) plus uint8 indices of the weight's shape, decoded in the graph:
 *   Cast(indices → int32) [→ Add(channel offsets)] → Gather(codebook, ·) → the weight's original value name.
 * (onnxruntime's Gather rejects uint8 indices, hence the Cast.) With `codebookType: "int8"` the codebook is stored
 * int8 with one scale and decoded by DequantizeLinear. onnxruntime folds the decode at session load, so speed is
 * unchanged; the file shrinks to ~¼ (one byte per weight) plus codebooks.
 */
import { ZClusterOptions, type TClusterOptions } from "../../../contracts/pipeline";
import { throwIfAborted } from "../../pipeline/abort";
import { DTYPE, createTensor, readTensorAsFloat32 } from "../../onnx/dtypes";
import { OnnxGraph, getAttrInt } from "../../onnx/graph";
import { decodeModel, encodeModel } from "../../onnx/model-io";
import { createAttribute, createNodeProto, type TModelProto, type TNodeProto } from "../../onnx/onnx-proto";
import { assignToCentroids, computeCentroids } from "./kmeans";

export type TClusterReport = {
  layers: { node: string; weight: string; elements: number; codebooks: number; k: number }[];
  skipped: { node: string; reason: string }[];
  /** Bytes of the clustered weights before (float32) and after (indices + codebooks). */
  weightBytes: { before: number; after: number };
  settings: { k: number; granularity: string; codebookType: string };
};

/** Share of exact zeros above which one centroid is pinned at zero (pruned weights stay pruned). */
const KEEP_ZERO_SHARE = 0.1;

function nodeKey(n: TNodeProto): string {
  return n.name || n.output[0] || "?";
}

/** Output-channel axis of a node's weight (input 1), for per-channel codebooks. */
function channelAxis(node: TNodeProto, rank: number): number {
  if (node.opType === "ConvTranspose") return 1;
  if (node.opType === "Gemm") return getAttrInt(node, "transB", 0) ? 0 : 1;
  if (node.opType === "MatMul") return rank - 1;
  return 0;
}

/** Clusters the weights of Conv/ConvTranspose/MatMul/Gemm nodes. The input model is not modified. */
export function clusterWeights(
  input: TModelProto,
  rawOptions: Partial<TClusterOptions> = {},
  ctx: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
): { model: TModelProto; warnings: string[]; report: TClusterReport } {
  const o = ZClusterOptions.parse(rawOptions);
  const model = decodeModel(encodeModel(input));
  const warnings: string[] = [];
  const report: TClusterReport = { layers: [], skipped: [], weightBytes: { before: 0, after: 0 }, settings: { k: o.k, granularity: o.granularity, codebookType: o.codebookType } };
  const graph = model.graph;
  if (!graph) return { model, warnings, report };
  const g = new OnnxGraph(graph);
  const opset = model.opsetImport.find((x) => (x.domain ?? "") === "")?.version ?? 1;
  let codebookType = o.codebookType;
  if (codebookType === "int8" && opset < 10) {
    codebookType = "float32";
    warnings.push(`cluster: int8 codebooks need opset 10 (DequantizeLinear); this model has opset ${opset}, so codebooks stay float32`);
  }
  const exclude = new Set(o.nodesToExclude);
  const opTypes = new Set<string>(o.opTypes);
  const done = new Set<string>();
  const targets = graph.node.filter((n) => opTypes.has(n.opType ?? "") && (n.domain ?? "") === "");

  for (const [ti, node] of targets.entries()) {
    throwIfAborted(ctx.signal);
    ctx.onProgress?.(ti / Math.max(1, targets.length));
    const key = nodeKey(node);
    const wName = node.input[1];
    if (!wName || done.has(wName)) continue;
    if (exclude.has(key)) {
      report.skipped.push({ node: key, reason: "excluded by nodesToExclude" });
      continue;
    }
    const t = g.findConstant(wName);
    if (!t) {
      report.skipped.push({ node: key, reason: "weight is not a constant" });
      continue;
    }
    if (t.dataType !== DTYPE.FLOAT) {
      report.skipped.push({ node: key, reason: "weight is not float32" });
      continue;
    }
    const dims = t.dims.map(Number);
    const values = readTensorAsFloat32(t);
    if (values.length < o.minWeightElements) {
      report.skipped.push({ node: key, reason: `weight has ${values.length} elements, fewer than minWeightElements ${o.minWeightElements}` });
      continue;
    }
    done.add(wName);

    // Channels: the weight viewed as [outer, C, inner] along the channel axis.
    const axis = o.granularity === "channel" ? channelAxis(node, dims.length) : -1;
    const channels = axis >= 0 ? dims[axis] : 1;
    const outer = axis >= 0 ? dims.slice(0, axis).reduce((a, b) => a * b, 1) : 1;
    const inner = axis >= 0 ? dims.slice(axis + 1).reduce((a, b) => a * b, 1) : values.length;
    const codebook = new Float32Array(channels * o.k);
    const indices = new Uint8Array(values.length);
    for (let c = 0; c < channels; c++) {
      // Gather this channel's values (contiguous when the channel axis is 0).
      const chan = new Float32Array(outer * inner);
      for (let a = 0; a < outer; a++) chan.set(values.subarray((a * channels + c) * inner, (a * channels + c + 1) * inner), a * inner);
      let zeros = 0;
      for (let i = 0; i < chan.length; i++) if (chan[i] === 0) zeros++;
      const centroids = computeCentroids(chan, o.k, { iterations: o.iterations, sampleSize: o.sampleSize, seed: o.seed + c, keepZero: zeros >= KEEP_ZERO_SHARE * chan.length });
      const local = new Uint8Array(chan.length);
      assignToCentroids(chan, centroids, local);
      for (let a = 0; a < outer; a++) {
        const dst = (a * channels + c) * inner;
        for (let i = 0; i < inner; i++) indices[dst + i] = local[a * inner + i];
      }
      // Unused codebook slots repeat the last centroid (fewer distinct values than k).
      for (let j = 0; j < o.k; j++) codebook[c * o.k + j] = centroids[Math.min(j, centroids.length - 1)];
    }

    // Decode nodes writing the original value name, so every reader of the weight sees the decoded tensor.
    const base = wName.replace(/[^A-Za-z0-9_.-]/g, "_");
    const idxName = g.createUniqueName(`${base}_cluster_idx`);
    const idx32 = g.createUniqueName(`${base}_cluster_idx32`);
    const nodes: TNodeProto[] = [createNodeProto("Cast", [idxName], [idx32], { name: g.createUniqueName(`${base}_cluster_cast`), attribute: [createAttribute("to", DTYPE.INT32, { asInt: true })] })];
    let gatherIdx = idx32;
    if (channels > 1) {
      const offName = g.createUniqueName(`${base}_cluster_offsets`);
      const offDims = dims.map((d, i) => (i === axis ? d : 1));
      g.setInitializer(createTensor(offName, DTYPE.INT32, offDims, Int32Array.from({ length: channels }, (_, c) => c * o.k)));
      gatherIdx = g.createUniqueName(`${base}_cluster_idxc`);
      nodes.push(createNodeProto("Add", [idx32, offName], [gatherIdx], { name: g.createUniqueName(`${base}_cluster_offset`) }));
    }
    const codebookValue = g.createUniqueName(`${base}_cluster_codebook`);
    let codebookBytes = codebook.length * 4;
    if (codebookType === "int8") {
      let maxAbs = 0;
      for (const v of codebook) maxAbs = Math.max(maxAbs, Math.abs(v));
      const scale = maxAbs > 0 ? maxAbs / 127 : 1;
      const q = Int8Array.from(codebook, (v) => Math.max(-127, Math.min(127, Math.round(v / scale))));
      const qName = g.createUniqueName(`${base}_cluster_codebook_q`);
      const sName = g.createUniqueName(`${base}_cluster_codebook_scale`);
      g.setInitializer(createTensor(qName, DTYPE.INT8, [codebook.length], q));
      g.setInitializer(createTensor(sName, DTYPE.FLOAT, [], [scale]));
      nodes.push(createNodeProto("DequantizeLinear", [qName, sName], [codebookValue], { name: g.createUniqueName(`${base}_cluster_dq`) }));
      codebookBytes = codebook.length + 4;
    } else {
      g.setInitializer(createTensor(codebookValue, DTYPE.FLOAT, [codebook.length], codebook));
    }
    g.setInitializer(createTensor(idxName, DTYPE.UINT8, dims, indices));
    nodes.push(createNodeProto("Gather", [codebookValue, gatherIdx], [wName], { name: g.createUniqueName(`${base}_cluster_gather`), attribute: [createAttribute("axis", 0, { asInt: true })] }));
    // Remove the float weight (initializer or Constant node) before the decode nodes take over its name.
    if (!g.removeInitializer(wName)) {
      const producer = g.getProducer(wName);
      if (producer) g.removeNodes([producer]);
    }
    g.insertNodes(nodes, 0);
    report.layers.push({ node: key, weight: wName, elements: values.length, codebooks: channels, k: o.k });
    report.weightBytes.before += values.length * 4;
    report.weightBytes.after += values.length + codebookBytes + (channels > 1 ? channels * 4 : 0);
  }
  g.topologicalSort();
  if (report.layers.length === 0) warnings.push("cluster found no weight to cluster (see report.cluster.skipped)");
  ctx.onProgress?.(1);
  return { model, warnings, report };
}
