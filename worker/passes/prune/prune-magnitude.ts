/**
 * `prune-magnitude` (unstructured) and `prune-nm` (N:M semi-structured): zero the smallest-magnitude weights of
 * Conv/ConvTranspose/MatMul/Gemm layers and store the result so that the file shrinks (sparse-storage.ts).
 * Both return the pruned model and the same weights stored dense ("masked dense"), whose outputs the sparse model
 * must reproduce exactly.
 */
import { gzipSync } from "node:zlib";
import { ZPruneMagnitudeOptions, ZPruneNmOptions, type TPruneMagnitudeOptions, type TPruneNmOptions } from "../../../contracts/pipeline";
import type { TPruningReport } from "../../../contracts/report";
import { getAttrInt, OnnxGraph, sortNodesTopologically } from "../../onnx/graph";
import { encodeModel } from "../../onnx/model-io";
import type { TModelProto, TNodeProto } from "../../onnx/onnx-proto";
import { countParams } from "../../evaluate/count-macs";
import { createNameFactory, getDefaultOpset } from "../quantize/onnx-helpers";
import { upgradeOpsetTo13 } from "../quantize/opset-upgrade";
import { chooseStorage, listStorageFormats, storeWeight, storeWeightsAsBitmask, type TSparseStorage, type TStoredAs } from "./sparse-storage";
import { cloneModel, moveConstantsToInitializers, nodeKey, readWeight } from "./prune-utils";

export type TSparsePruneResult = {
  model: TModelProto;
  /** The same pruned weights stored dense: the reference the sparse model must match. */
  maskedDenseModel: TModelProto;
  report: TPruningReport;
  warnings: string[];
};

type TCandidate = { node: TNodeProto; name: string; dims: number[]; values: Float32Array };

type TSelection = { opTypes: readonly string[]; nodesToExclude: readonly string[]; protectFirstLast: boolean; minWeightElements: number };

/** Weight layers in topological order, after protection and exclusions; skipped ones with reasons. */
function listCandidates(model: TModelProto, sel: TSelection): { candidates: TCandidate[]; skipped: TPruningReport["skipped"] } {
  const graph = model.graph!;
  graph.node = sortNodesTopologically(graph);
  const g = new OnnxGraph(graph);
  const layers: TCandidate[] = [];
  const skipped: TPruningReport["skipped"] = [];
  const seen = new Set<string>();
  for (const node of graph.node) {
    if (!sel.opTypes.includes(node.opType ?? "") || (node.domain ?? "") !== "") continue;
    const w = readWeight(g, node, 1);
    if (!w || !g.findInitializer(w.name)) {
      skipped.push({ node: nodeKey(node), reason: "its weight is not a float32 constant" });
      continue;
    }
    if (seen.has(w.name)) continue; // a shared weight is pruned once
    seen.add(w.name);
    layers.push({ node, name: w.name, dims: w.dims, values: w.values });
  }
  const candidates: TCandidate[] = [];
  layers.forEach((c, i) => {
    if (sel.protectFirstLast && (i === 0 || i === layers.length - 1)) {
      skipped.push({ node: nodeKey(c.node), reason: i === 0 ? "first weight layer (protected)" : "last weight layer (protected)" });
    } else if (sel.nodesToExclude.includes(c.node.name ?? "")) {
      skipped.push({ node: nodeKey(c.node), reason: "excluded by the options" });
    } else if (c.values.length < sel.minWeightElements) {
      skipped.push({ node: nodeKey(c.node), reason: `only ${c.values.length} weights (minWeightElements ${sel.minWeightElements})` });
    } else {
      candidates.push(c);
    }
  });
  return { candidates, skipped };
}

/** The k-th smallest magnitude (k zero-based) of the given weights. */
function kthMagnitude(arrays: readonly Float32Array[], k: number): number {
  const total = arrays.reduce((a, b) => a + b.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) all[o++] = Math.abs(a[i]);
  all.sort();
  return all[Math.min(total - 1, Math.max(0, k))];
}

/** Zeros exactly `count` smallest-magnitude entries (ties broken by index) when count is given, else those below threshold. */
function zeroSmallest(values: Float32Array, count: number): void {
  const order = Array.from(values.keys()).sort((a, b) => Math.abs(values[a]) - Math.abs(values[b]) || a - b);
  for (let i = 0; i < count; i++) values[order[i]] = 0;
}

/** Opset the bitmask decoder needs (CumSum, Slice with inputs). */
const BITMASK_MIN_OPSET = 11;

/**
 * Old models (PaddlePaddle exports at opset 9) cannot use the bitmask decoder, the only storage that shrinks the file
 * at moderate sparsity. When the storage may be a bitmask, the model is raised to opset 13 in place (a
 * semantics-preserving rewrite, shared with the quantizer); returns the opset it came from, or undefined.
 */
function raiseOpsetForBitmask(model: TModelProto, storage: TSparseStorage): number | undefined {
  const from = getDefaultOpset(model);
  if ((storage !== "auto" && storage !== "bitmask") || from >= BITMASK_MIN_OPSET) return undefined;
  return upgradeOpsetTo13(model, createNameFactory(model)) ? from : undefined;
}

/** Stores the pruned weights, measures sizes and builds the shared parts of the report. */
function finish(
  prepared: TModelProto,
  pruned: { candidate: TCandidate; values: Float32Array }[],
  storage: TSparseStorage,
  method: "magnitude" | "nm",
  skipped: TPruningReport["skipped"],
  settings: Record<string, unknown>,
  paramsBefore: number,
): TSparsePruneResult {
  const dense = prepared;
  for (const p of pruned) storeWeight(dense, p.candidate.name, p.candidate.dims, p.values, "dense");
  const denseBytes = encodeModel(dense);
  const model = cloneModel(dense);
  const allowed = listStorageFormats(model);
  const layers: TPruningReport["layers"] = [];
  const bitmask: { name: string; dims: number[]; values: Float32Array }[] = [];
  let zeros = 0;
  let total = 0;
  for (const p of pruned) {
    let nonZeros = 0;
    for (const v of p.values) if (v !== 0) nonZeros++;
    zeros += p.values.length - nonZeros;
    total += p.values.length;
    const format: TStoredAs = chooseStorage(storage, allowed, p.values.length, nonZeros);
    // Bitmask weights are stored together below: they share one decoder.
    if (format === "bitmask") bitmask.push({ name: p.candidate.name, dims: p.candidate.dims, values: p.values });
    else storeWeight(model, p.candidate.name, p.candidate.dims, p.values, format);
    layers.push({ node: nodeKey(p.candidate.node), opType: p.candidate.node.opType, sparsity: 1 - nonZeros / p.values.length, storage: format });
  }
  storeWeightsAsBitmask(model, bitmask);
  const bytes = encodeModel(model);
  const warnings: string[] = [];
  if (settings.opsetUpgradedFrom !== undefined) {
    warnings.push(`prune-${method}: raised the model from opset ${settings.opsetUpgradedFrom} to 13 so that pruned weights can be stored as bitmasks`);
  }
  if (storage !== "auto" && storage !== "dense" && !allowed.includes(storage)) {
    warnings.push(`prune-${method}: storage "${storage}" is not possible for this model (IR/opset too old); weights are stored dense`);
  }
  return {
    model,
    maskedDenseModel: dense,
    warnings,
    report: {
      method,
      params: { before: paramsBefore, after: paramsBefore - zeros },
      sparsity: total > 0 ? zeros / total : 0,
      layers,
      skipped,
      size: {
        sizeBytes: bytes.byteLength,
        gzipSizeBytes: gzipSync(bytes).byteLength,
        denseSizeBytes: denseBytes.byteLength,
        denseGzipSizeBytes: gzipSync(denseBytes).byteLength,
      },
      settings,
    },
  };
}

/** Unstructured magnitude pruning to a target sparsity, layer-wise or with one global threshold. */
export function pruneMagnitude(model: TModelProto, input: Partial<TPruneMagnitudeOptions> = {}): TSparsePruneResult {
  const opts = ZPruneMagnitudeOptions.parse(input);
  const prepared = cloneModel(model);
  moveConstantsToInitializers(prepared.graph!);
  const opsetUpgradedFrom = raiseOpsetForBitmask(prepared, opts.storage);
  const paramsBefore = countParams(prepared);
  const { candidates, skipped } = listCandidates(prepared, opts);
  const pruned = candidates.map((c) => ({ candidate: c, values: c.values.slice() }));
  if (opts.scope === "layer") {
    for (const p of pruned) zeroSmallest(p.values, Math.floor(opts.sparsity * p.values.length));
  } else if (pruned.length > 0) {
    const total = pruned.reduce((a, p) => a + p.values.length, 0);
    const k = Math.floor(opts.sparsity * total);
    const threshold = k > 0 ? kthMagnitude(pruned.map((p) => p.values), k - 1) : -1;
    // Strictly below the threshold first, then ties in order until exactly k are zero.
    let budget = k;
    for (const p of pruned) for (let i = 0; i < p.values.length; i++) if (Math.abs(p.values[i]) < threshold) (p.values[i] = 0), budget--;
    for (const p of pruned) for (let i = 0; i < p.values.length && budget > 0; i++) if (p.values[i] !== 0 && Math.abs(p.values[i]) === threshold) (p.values[i] = 0), budget--;
  }
  return finish(prepared, pruned, opts.storage, "magnitude", skipped, { sparsity: opts.sparsity, scope: opts.scope, storage: opts.storage, ...(opsetUpgradedFrom ? { opsetUpgradedFrom } : {}) }, paramsBefore);
}

/** Axis of a layer's weight that runs along its input dimension (where N:M blocks are formed). */
function inputAxis(node: TNodeProto): number {
  if (node.opType === "Conv") return 1;
  if (node.opType === "Gemm") return getAttrInt(node, "transB", 0) === 1 ? 1 : 0;
  return 0; // MatMul [K, N]
}

/** Keeps the n largest magnitudes in every block of m consecutive weights along `axis`. */
export function applyNmPattern(values: Float32Array, dims: readonly number[], axis: number, n: number, m: number): void {
  const size = dims[axis];
  const stride = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const idx = new Array<number>(m);
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < stride; s++) {
      for (let b = 0; b < size; b += m) {
        for (let j = 0; j < m; j++) idx[j] = (o * size + b + j) * stride + s;
        const order = [...idx].sort((x, y) => Math.abs(values[y]) - Math.abs(values[x]) || x - y);
        for (let j = n; j < m; j++) values[order[j]] = 0;
      }
    }
  }
}

/** N:M pruning along the input dimension; layers whose input dimension is not a multiple of m are reported. */
export function pruneNm(model: TModelProto, input: Partial<TPruneNmOptions> = {}): TSparsePruneResult {
  const opts = ZPruneNmOptions.parse(input);
  const prepared = cloneModel(model);
  moveConstantsToInitializers(prepared.graph!);
  const opsetUpgradedFrom = raiseOpsetForBitmask(prepared, opts.storage);
  const paramsBefore = countParams(prepared);
  const { candidates, skipped } = listCandidates(prepared, opts);
  const pruned: { candidate: TCandidate; values: Float32Array }[] = [];
  for (const c of candidates) {
    const axis = inputAxis(c.node);
    const group = c.node.opType === "Conv" ? getAttrInt(c.node, "group", 1) : 1;
    if (c.dims.length < 2 || c.dims[axis] % opts.m !== 0) {
      skipped.push({ node: nodeKey(c.node), reason: `input dimension ${c.dims[axis]} is not a multiple of ${opts.m}` });
      continue;
    }
    if (c.node.opType === "Conv" && group > 1 && c.dims[1] === 1) {
      skipped.push({ node: nodeKey(c.node), reason: "depthwise Conv has one input channel per group" });
      continue;
    }
    const values = c.values.slice();
    applyNmPattern(values, c.dims, axis, opts.n, opts.m);
    pruned.push({ candidate: c, values });
  }
  return finish(prepared, pruned, opts.storage, "nm", skipped, { n: opts.n, m: opts.m, storage: opts.storage, qualified: pruned.length, ...(opsetUpgradedFrom ? { opsetUpgradedFrom } : {}) }, paramsBefore);
}
