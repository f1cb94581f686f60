/**
 * The `cluster` pass: k-means weight sharing. Each clustered weight becomes a codebook plus indices, decoded in the
 * graph into the weight's original value name, so every reader sees the decoded tensor:
 *   indices → int32 [→ Add(channel offsets)] → Gather(codebook, ·) [→ Mul(channel scales)] → weight.
 * (onnxruntime's Gather rejects uint8 indices, hence int32.) Index storage:
 * - k ≤ 16 (default 16): two 4-bit indices per byte in ONE packed tensor for the whole model, decoded once
 *   (Cast → Div/Floor/Mul/Sub → Concat → Cast(int32)) and Split per weight, so each weight costs two or three small
 *   nodes rather than a decoder of its own (per-weight decoders were ~1 KB each: 5% of a 0.6 MB model);
 * - k > 16: one uint8 per index, Cast to int32 per weight.
 * Granularity: one codebook per tensor, per output channel, or ("scaled") one per tensor over values divided by
 * their channel's max |w| with a float scale per channel. `codebookType: "int8"` stores codebooks as int8 + one
 * scale (DequantizeLinear). BatchNormalization is folded into Conv weights first so its parameters do not stay
 * float. onnxruntime folds all decode nodes at session load: speed is unchanged.
 */
import { ZClusterOptions, type TClusterOptions } from "../../../contracts/pipeline";
import { throwIfAborted } from "../../pipeline/abort";
import { DTYPE, createTensor, readTensorAsFloat32 } from "../../onnx/dtypes";
import { OnnxGraph, getAttrInt } from "../../onnx/graph";
import { decodeModel, encodeModel } from "../../onnx/model-io";
import { createAttribute, createNodeProto, type TModelProto, type TNodeProto } from "../../onnx/onnx-proto";
import { prepareForQuantization } from "../quantize/prepare";
import { assignToCentroids, computeCentroids } from "./kmeans";

export type TClusterReport = {
  layers: { node: string; weight: string; granularity: "tensor" | "channel" | "scaled"; elements: number; codebooks: number; k: number; indexBits: 4 | 8 }[];
  skipped: { node: string; reason: string }[];
  /** Bytes of the clustered weights before (float32) and after (indices + codebooks + scales/offsets). */
  weightBytes: { before: number; after: number };
  /** BatchNormalization nodes folded into Conv weights before clustering. */
  batchNormsFolded: number;
  settings: { k: number; granularity: string; codebookType: string; indexBits: 4 | 8 };
};

/** Share of exact zeros above which one centroid is pinned at zero (pruned weights stay pruned). */
const KEEP_ZERO_SHARE = 0.1;

function nodeKey(n: TNodeProto): string {
  return n.name || n.output[0] || "?";
}

/** Output-channel axis of a node's weight (input 1), for per-channel codebooks and scales. */
function channelAxis(node: TNodeProto, rank: number): number {
  if (node.opType === "ConvTranspose") return 1;
  if (node.opType === "Gemm") return getAttrInt(node, "transB", 0) ? 0 : 1;
  if (node.opType === "MatMul") return rank - 1;
  return 0;
}

/** True when every float32 initializer is finite (BN folding can overflow). */
function hasFiniteFloatInitializers(model: TModelProto): boolean {
  return (model.graph?.initializer ?? []).every((t) => t.dataType !== DTYPE.FLOAT || readTensorAsFloat32(t).every(Number.isFinite));
}

/** A clustered weight waiting for its index decoder: nodes from `idx32` (int32, weight shape) onwards are built. */
type TPendingIndices = { base: string; dims: number[]; indices: Uint8Array; idx32: string };

/** The weight viewed as [outer, C, inner] along `axis` (C = 1, inner = all when axis < 0). */
function viewChannels(dims: number[], axis: number): { channels: number; outer: number; inner: number } {
  if (axis < 0) return { channels: 1, outer: 1, inner: dims.reduce((a, b) => a * b, 1) };
  return { channels: dims[axis], outer: dims.slice(0, axis).reduce((a, b) => a * b, 1), inner: dims.slice(axis + 1).reduce((a, b) => a * b, 1) };
}

/** Clusters the weights of Conv/ConvTranspose/MatMul/Gemm nodes. The input model is not modified. */
export function clusterWeights(
  input: TModelProto,
  rawOptions: Partial<TClusterOptions> = {},
  ctx: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
): { model: TModelProto; warnings: string[]; report: TClusterReport } {
  const o = ZClusterOptions.parse(rawOptions);
  const warnings: string[] = [];
  let model: TModelProto;
  let batchNormsFolded = 0;
  const prepared =
    o.foldBatchNorm && input.graph?.node.some((n) => n.opType === "BatchNormalization")
      ? // Also moves Constant-node weights to initializers (PaddlePaddle exports), which BN folding needs.
        prepareForQuantization(input, { foldBatchNorm: true, upgradeOpset: false, cleanUp: false, refuseQuantized: false })
      : undefined;
  if (prepared && prepared.stats.batchNormsFolded > 0 && hasFiniteFloatInitializers(prepared.model)) {
    model = prepared.model;
    batchNormsFolded = prepared.stats.batchNormsFolded;
  } else {
    // PP-OCR's recogniser has dead channels (weights ~1e-30 behind BN factors ~1e38): folding overflows to Inf.
    if (prepared && prepared.stats.batchNormsFolded > 0) warnings.push("cluster: BatchNormalization left unfolded (folding it overflows float32 in some channels)");
    model = decodeModel(encodeModel(input));
  }
  const opset = model.opsetImport.find((x) => (x.domain ?? "") === "")?.version ?? 1;
  // Broadcasting Div/Mul/Sub (opset 7) decode the packed nibbles; older models keep one byte per index.
  const packed = o.indexBits === "auto" && o.k <= 16 && opset >= 7;
  const report: TClusterReport = {
    layers: [],
    skipped: [],
    weightBytes: { before: 0, after: 0 },
    batchNormsFolded,
    settings: { k: o.k, granularity: o.granularity, codebookType: o.codebookType, indexBits: packed ? 4 : 8 },
  };
  const graph = model.graph;
  if (!graph) return { model, warnings, report };
  const g = new OnnxGraph(graph);
  let codebookType = o.codebookType;
  if (codebookType === "int8" && opset < 10) {
    codebookType = "float32";
    warnings.push(`cluster: int8 codebooks need opset 10 (DequantizeLinear); this model has opset ${opset}, so codebooks stay float32`);
  }
  const exclude = new Set(o.nodesToExclude);
  const opTypes = new Set<string>(o.opTypes);
  const done = new Set<string>();
  const pending: TPendingIndices[] = [];
  let flushedChannels = 0;
  const decodeNodes: TNodeProto[] = [];
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
    if (!values.every(Number.isFinite)) {
      report.skipped.push({ node: key, reason: "weight has NaN or infinite values" });
      continue;
    }
    if (values.length < o.minWeightElements) {
      report.skipped.push({ node: key, reason: `weight has ${values.length} elements, fewer than minWeightElements ${o.minWeightElements}` });
      continue;
    }
    done.add(wName);

    const granularity = o.granularity;
    const axis = granularity === "tensor" ? -1 : channelAxis(node, dims.length);
    const { channels, outer, inner } = viewChannels(dims, axis);
    // "scaled": every channel divided by its max |w|, then one codebook over all of them.
    let scales: Float32Array | undefined;
    let work = values;
    if (granularity === "scaled" && channels > 1) {
      scales = new Float32Array(channels);
      for (let a = 0; a < outer; a++)
        for (let c = 0; c < channels; c++) {
          const off = (a * channels + c) * inner;
          for (let i = 0; i < inner; i++) scales[c] = Math.max(scales[c], Math.abs(values[off + i]));
        }
      // Channels below 1e-30 decode to exact zeros: codebook·scale would be float32 denormals there, which make
      // onnxruntime's kernels ~10× slower (measured on ppocr_rec), and such weights are zero to float32 precision.
      let flushed = 0;
      for (let c = 0; c < channels; c++) {
        if (scales[c] < 1e-30) {
          if (scales[c] > 0) flushed++;
          scales[c] = 0;
        }
      }
      if (flushed > 0) flushedChannels += flushed;
      work = new Float32Array(values.length);
      for (let a = 0; a < outer; a++)
        for (let c = 0; c < channels; c++) {
          const off = (a * channels + c) * inner;
          for (let i = 0; i < inner; i++) work[off + i] = scales[c] > 0 ? values[off + i] / scales[c] : 0;
        }
    }
    const codebookCount = granularity === "channel" ? channels : 1;
    const codebook = new Float32Array(codebookCount * o.k);
    const indices = new Uint8Array(values.length);
    for (let cb = 0; cb < codebookCount; cb++) {
      // This codebook's values (the whole tensor, or one channel gathered from [outer, C, inner]).
      let chan: Float32Array = work;
      if (codebookCount > 1) {
        chan = new Float32Array(outer * inner);
        for (let a = 0; a < outer; a++) chan.set(work.subarray((a * channels + cb) * inner, (a * channels + cb + 1) * inner), a * inner);
      }
      let zeros = 0;
      for (let i = 0; i < chan.length; i++) if (chan[i] === 0) zeros++;
      const centroids = computeCentroids(chan, o.k, { iterations: o.iterations, sampleSize: o.sampleSize, seed: o.seed + cb, keepZero: zeros >= KEEP_ZERO_SHARE * chan.length });
      if (codebookCount > 1) {
        const local = new Uint8Array(chan.length);
        assignToCentroids(chan, centroids, local);
        for (let a = 0; a < outer; a++) {
          const dst = (a * channels + cb) * inner;
          for (let i = 0; i < inner; i++) indices[dst + i] = local[a * inner + i];
        }
      } else {
        assignToCentroids(chan, centroids, indices);
      }
      // Unused codebook slots repeat the last centroid (fewer distinct values than k).
      for (let j = 0; j < o.k; j++) codebook[cb * o.k + j] = centroids[Math.min(j, centroids.length - 1)];
    }

    const base = wName.replace(/[^A-Za-z0-9_.-]/g, "_");
    const idx32 = g.createUniqueName(`${base}_ci`);
    const nodes: TNodeProto[] = [];
    let indexBytes: number;
    if (packed) {
      pending.push({ base, dims, indices, idx32 });
      indexBytes = indices.length / 2;
    } else {
      const idxName = g.createUniqueName(`${base}_cluster_idx`);
      g.setInitializer(createTensor(idxName, DTYPE.UINT8, dims, indices));
      nodes.push(createNodeProto("Cast", [idxName], [idx32], { attribute: [createAttribute("to", DTYPE.INT32, { asInt: true })] }));
      indexBytes = indices.length;
    }
    const channelShape = dims.map((d, i) => (i === axis ? d : 1));
    let gatherIdx = idx32;
    let extraBytes = 0;
    if (codebookCount > 1) {
      const offName = g.createUniqueName(`${base}_co`);
      g.setInitializer(createTensor(offName, DTYPE.INT32, channelShape, Int32Array.from({ length: channels }, (_, c) => c * o.k)));
      gatherIdx = g.createUniqueName(`${base}_cj`);
      nodes.push(createNodeProto("Add", [idx32, offName], [gatherIdx]));
      extraBytes += channels * 4;
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
      nodes.push(createNodeProto("DequantizeLinear", [qName, sName], [codebookValue]));
      codebookBytes = codebook.length + 4;
    } else {
      g.setInitializer(createTensor(codebookValue, DTYPE.FLOAT, [codebook.length], codebook));
    }
    if (scales) {
      const gathered = g.createUniqueName(`${base}_cg`);
      const scaleName = g.createUniqueName(`${base}_cluster_scale`);
      g.setInitializer(createTensor(scaleName, DTYPE.FLOAT, channelShape, scales));
      nodes.push(createNodeProto("Gather", [codebookValue, gatherIdx], [gathered], { attribute: [createAttribute("axis", 0, { asInt: true })] }));
      nodes.push(createNodeProto("Mul", [gathered, scaleName], [wName]));
      extraBytes += channels * 4;
    } else {
      nodes.push(createNodeProto("Gather", [codebookValue, gatherIdx], [wName], { attribute: [createAttribute("axis", 0, { asInt: true })] }));
    }
    // Remove the float weight (initializer or Constant node) before the decode nodes take over its name.
    if (!g.removeInitializer(wName)) {
      const producer = g.getProducer(wName);
      if (producer) g.removeNodes([producer]);
    }
    decodeNodes.push(...nodes);
    report.layers.push({ node: key, weight: wName, granularity, elements: values.length, codebooks: codebookCount, k: o.k, indexBits: packed ? 4 : 8 });
    report.weightBytes.before += values.length * 4;
    report.weightBytes.after += indexBytes + codebookBytes + extraBytes;
  }
  if (flushedChannels > 0) warnings.push(`cluster: ${flushedChannels} output channels with max |w| < 1e-30 decode to exact zeros`);
  if (pending.length > 0) decodeNodes.unshift(...createPackedDecodeNodes(g, pending, opset));
  // Decode nodes stay unnamed (names are optional in ONNX): with several per weight, names cost ~5% of a small file.
  g.insertNodes(decodeNodes, 0);
  g.topologicalSort();
  if (report.layers.length === 0) warnings.push("cluster found no weight to cluster (see report.cluster.skipped)");
  ctx.onProgress?.(1);
  return { model, warnings, report };
}

/**
 * Packs every pending weight's 4-bit indices into one uint8 tensor (byte i = I[i]·16 + I[half + i] over the
 * concatenation I of all indices; an odd last index gets a byte of its own) and returns the nodes that decode it
 * and hand each weight its int32 indices of its own shape:
 *   Cast(float) → hi = Floor(p/16), lo = p − 16·hi → Concat(hi, lo[, tail]) → Cast(int32) → Split → Reshape each.
 * Float arithmetic is exact on 0..255 and every op exists since opset 7: no opset upgrade and no int4 types
 * (which onnxruntime runs only in Q/DQ at opset 21).
 */
export function createPackedDecodeNodes(g: OnnxGraph, pending: readonly TPendingIndices[], opset: number): TNodeProto[] {
  const total = pending.reduce((a, p) => a + p.indices.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of pending) {
    all.set(p.indices, at);
    at += p.indices.length;
  }
  const half = Math.floor(total / 2);
  const bytes = new Uint8Array(half);
  for (let i = 0; i < half; i++) bytes[i] = (all[i] << 4) | all[half + i];
  const name = (s: string) => g.createUniqueName(`cluster_${s}`);
  const packedName = name("idx4");
  g.setInitializer(createTensor(packedName, DTYPE.UINT8, [half], bytes));
  const sixteen = name("sixteen");
  g.setInitializer(createTensor(sixteen, DTYPE.FLOAT, [], [16]));
  const [pf, q, hi, t, lo, flat, flat32] = ["pf", "q", "hi", "t", "lo", "flat", "flat32"].map(name);
  const toType = (to: number) => [createAttribute("to", to, { asInt: true })];
  const nodes = [
    createNodeProto("Cast", [packedName], [pf], { attribute: toType(DTYPE.FLOAT) }),
    createNodeProto("Div", [pf, sixteen], [q]),
    createNodeProto("Floor", [q], [hi]),
    createNodeProto("Mul", [hi, sixteen], [t]),
    createNodeProto("Sub", [pf, t], [lo]),
  ];
  const parts = [hi, lo];
  if (total % 2) {
    const tailName = name("idx_tail");
    const tail = name("tail");
    g.setInitializer(createTensor(tailName, DTYPE.UINT8, [1], [all[total - 1]]));
    nodes.push(createNodeProto("Cast", [tailName], [tail], { attribute: toType(DTYPE.FLOAT) }));
    parts.push(tail);
  }
  nodes.push(createNodeProto("Concat", parts, [flat], { attribute: [createAttribute("axis", 0, { asInt: true })] }));
  nodes.push(createNodeProto("Cast", [flat], [flat32], { attribute: toType(DTYPE.INT32) }));
  // createUniqueName does not reserve a name until a node defines it: derive each piece from its weight's name.
  const pieces = pending.map((p) => (pending.length === 1 ? flat32 : g.createUniqueName(`${p.base}_cp`)));
  if (pending.length > 1) {
    const sizes = pending.map((p) => p.indices.length);
    // Split's sizes are an attribute before opset 13 and an input from 13 on.
    if (opset >= 13) {
      const sizesName = name("split");
      g.setInitializer(createTensor(sizesName, DTYPE.INT64, [sizes.length], sizes.map((v) => BigInt(v))));
      nodes.push(createNodeProto("Split", [flat32, sizesName], pieces, { attribute: [createAttribute("axis", 0, { asInt: true })] }));
    } else {
      nodes.push(createNodeProto("Split", [flat32], pieces, { attribute: [createAttribute("axis", 0, { asInt: true }), createAttribute("split", sizes, { asInt: true })] }));
    }
  }
  for (const [i, p] of pending.entries()) {
    const shape = g.createUniqueName(`${p.base}_cs`);
    g.setInitializer(createTensor(shape, DTYPE.INT64, [p.dims.length], p.dims.map((d) => BigInt(d))));
    nodes.push(createNodeProto("Reshape", [pieces[i], shape], [p.idx32]));
  }
  return nodes;
}
