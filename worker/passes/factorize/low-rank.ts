/**
 * The `low-rank` pass: replaces big weight matrices by products of two thin ones from a truncated SVD.
 * - MatMul(X, W[K,N]) → MatMul(MatMul(X, U√Σ [K,r]), √ΣVᵀ [r,N]);
 * - Gemm(X, B, C) (transA = 0) → Gemm(MatMul(X, U√Σ), √ΣVᵀ, C) with alpha/beta kept;
 * - Conv(group = 1) W[Co,Ci,kh,kw] → Conv k×k with r filters (√ΣVᵀ reshaped, original strides/pads/dilations)
 *   → Conv 1×1 (U√Σ, bias): the channel decomposition of the Co × (Ci·kh·kw) unfolding.
 * Ranks come from a kept-energy threshold per layer or one global parameter budget. A layer is factorized only
 * when it saves at least `minSavings` of its parameters; both factorizations cost r(m+n) instead of m·n per output
 * element, so parameters and MACs shrink by the same ratio. Main graph only (weights in subgraphs are left alone).
 */
import { ZLowRankOptions, type TLowRankOptions } from "../../../contracts/pipeline";
import { throwIfAborted } from "../../pipeline/abort";
import { DTYPE, createTensor, readTensorAsFloat32 } from "../../onnx/dtypes";
import { OnnxGraph, getAttrInt } from "../../onnx/graph";
import { decodeModel, encodeModel } from "../../onnx/model-io";
import { createNodeProto, type TModelProto, type TNodeProto } from "../../onnx/onnx-proto";
import { chooseRankForEnergy, computeRandomizedSvd, sumOfSquares, type TSvd } from "./svd";

export type TLowRankLayer = {
  node: string;
  opType: string;
  /** Rows × columns of the factorized matrix (Conv: Co × Ci·kh·kw). */
  shape: [number, number];
  rank: number;
  /** Share of the weight's squared Frobenius norm kept by the rank. */
  energyKept: number;
  paramsBefore: number;
  paramsAfter: number;
};

export type TLowRankReport = {
  layers: TLowRankLayer[];
  skipped: { node: string; reason: string }[];
  /** Parameters of the candidate layers before and after. */
  params: { before: number; after: number };
  settings: { energy?: number; targetParamsRatio?: number; minSavings: number; powerIterations: number };
};

type TCandidate = {
  node: TNodeProto;
  key: string;
  /** Row-major m×n matrix to factorize. */
  matrix: Float32Array;
  m: number;
  n: number;
  svd: TSvd;
  totalEnergy: number;
  /** Largest rank that still saves `minSavings`. */
  maxRank: number;
};

function nodeKey(n: TNodeProto): string {
  return n.name || n.output[0] || "?";
}

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j];
  return out;
}

/** The weight of a node as an m×n matrix, or the reason it cannot be factorized. */
function readMatrix(g: OnnxGraph, node: TNodeProto): { matrix: Float32Array; m: number; n: number } | string {
  const t = node.input[1] ? g.findConstant(node.input[1]) : undefined;
  if (!t) return "weight is not a constant";
  if (t.dataType !== DTYPE.FLOAT) return "weight is not float32";
  const dims = t.dims.map(Number);
  const values = readTensorAsFloat32(t);
  if (node.opType === "MatMul") {
    if (dims.length !== 2) return "weight is not 2-D";
    return { matrix: values, m: dims[0], n: dims[1] };
  }
  if (node.opType === "Gemm") {
    if (dims.length !== 2) return "weight is not 2-D";
    if (getAttrInt(node, "transA", 0) !== 0) return "transposed input (transA) is not supported";
    // Work on W = B (transB = 0) or Bᵀ, always [K, N].
    return getAttrInt(node, "transB", 0) ? { matrix: transpose(values, dims[0], dims[1]), m: dims[1], n: dims[0] } : { matrix: values, m: dims[0], n: dims[1] };
  }
  if (node.opType === "Conv") {
    if (dims.length < 3) return "weight rank is not supported";
    if (getAttrInt(node, "group", 1) !== 1) return "grouped/depthwise convolution (already cheap per channel)";
    const spatial = dims.slice(2).reduce((a, b) => a * b, 1);
    return { matrix: values, m: dims[0], n: dims[1] * spatial };
  }
  return `op type ${node.opType} is not supported`;
}

/** Parameters of an m×n matrix factorized at rank r. */
const factorizedParams = (m: number, n: number, r: number) => r * (m + n);

/** Ranks per candidate for one energy threshold (undefined = not factorized). */
function chooseRanks(cands: readonly TCandidate[], energy: number): (number | undefined)[] {
  return cands.map((c) => {
    const r = chooseRankForEnergy(c.svd.s, c.totalEnergy, energy);
    return r !== undefined && r <= c.maxRank ? r : undefined;
  });
}

/** Factorizes the model's big MatMul/Gemm/Conv weights. The input model is not modified. */
export function factorizeLowRank(
  input: TModelProto,
  rawOptions: Partial<TLowRankOptions> = {},
  ctx: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
): { model: TModelProto; warnings: string[]; report: TLowRankReport } {
  const o = ZLowRankOptions.parse(rawOptions);
  const model = decodeModel(encodeModel(input));
  const graph = model.graph;
  const report: TLowRankReport = {
    layers: [],
    skipped: [],
    params: { before: 0, after: 0 },
    settings: { ...(o.targetParamsRatio ? { targetParamsRatio: o.targetParamsRatio } : { energy: o.energy }), minSavings: o.minSavings, powerIterations: o.powerIterations },
  };
  const warnings: string[] = [];
  if (!graph) return { model, warnings, report };
  const g = new OnnxGraph(graph);
  const exclude = new Set(o.nodesToExclude);
  const opTypes = new Set<string>(o.opTypes);

  const targets = graph.node.filter((n) => opTypes.has(n.opType ?? "") && (n.domain ?? "") === "");
  const cands: TCandidate[] = [];
  for (const [i, node] of targets.entries()) {
    throwIfAborted(ctx.signal);
    const key = nodeKey(node);
    if (exclude.has(key)) {
      report.skipped.push({ node: key, reason: "excluded by nodesToExclude" });
      continue;
    }
    const read = readMatrix(g, node);
    if (typeof read === "string") {
      report.skipped.push({ node: key, reason: read });
      continue;
    }
    const { matrix, m, n } = read;
    if (m * n < o.minWeightElements) {
      report.skipped.push({ node: key, reason: `weight has ${m * n} elements, fewer than minWeightElements ${o.minWeightElements}` });
      continue;
    }
    const maxRank = Math.floor(((1 - o.minSavings) * m * n) / (m + n));
    if (maxRank < 1) {
      report.skipped.push({ node: key, reason: "no rank saves enough parameters for this shape" });
      continue;
    }
    const svd = computeRandomizedSvd(matrix, m, n, { rank: maxRank, powerIterations: o.powerIterations, seed: o.seed + i });
    cands.push({ node, key, matrix, m, n, svd, totalEnergy: sumOfSquares(matrix), maxRank });
    ctx.onProgress?.((0.9 * (i + 1)) / targets.length);
  }

  let ranks: (number | undefined)[];
  if (o.targetParamsRatio !== undefined) {
    // One energy threshold for all layers, the highest that meets the budget (bisection: params grow with energy).
    const before = cands.reduce((a, c) => a + c.m * c.n, 0);
    const paramsAt = (rs: (number | undefined)[]) => cands.reduce((a, c, i) => a + (rs[i] ? factorizedParams(c.m, c.n, rs[i]!) : c.m * c.n), 0);
    let lo = 0.01;
    let hi = 1;
    for (let it = 0; it < 40; it++) {
      const mid = (lo + hi) / 2;
      if (paramsAt(chooseRanks(cands, mid)) <= o.targetParamsRatio * before) lo = mid;
      else hi = mid;
    }
    ranks = chooseRanks(cands, lo);
    if (cands.length > 0 && paramsAt(ranks) > o.targetParamsRatio * before) {
      warnings.push(`low-rank: the parameter budget ${o.targetParamsRatio} could not be met (reached ${(paramsAt(ranks) / before).toFixed(3)})`);
    }
  } else {
    ranks = chooseRanks(cands, o.energy);
  }

  for (const [i, c] of cands.entries()) {
    const r = ranks[i];
    report.params.before += c.m * c.n;
    if (r === undefined) {
      report.params.after += c.m * c.n;
      const needed = chooseRankForEnergy(c.svd.s, c.totalEnergy, o.energy);
      report.skipped.push({
        node: c.key,
        reason: `keeping the energy needs rank ${needed ?? `> ${c.svd.rank}`}, above ${c.maxRank} (the most that saves ${Math.round(o.minSavings * 100)}% of ${c.m}×${c.n})`,
      });
      continue;
    }
    applyFactorization(g, c, r);
    let kept = 0;
    for (let j = 0; j < r; j++) kept += c.svd.s[j] ** 2;
    const after = factorizedParams(c.m, c.n, r);
    report.params.after += after;
    report.layers.push({ node: c.key, opType: c.node.opType ?? "", shape: [c.m, c.n], rank: r, energyKept: kept / Math.max(1e-300, c.totalEnergy), paramsBefore: c.m * c.n, paramsAfter: after });
  }
  // Drop weights nothing reads any more.
  g.invalidate();
  const isUsed = (name: string) => g.getConsumers(name).length > 0 || g.isGraphOutput(name);
  graph.initializer = graph.initializer.filter((t) => isUsed(t.name ?? ""));
  // Exporters such as PaddlePaddle keep weights in Constant nodes: drop the ones nothing reads now.
  g.removeNodes(graph.node.filter((n) => n.opType === "Constant" && (n.domain ?? "") === "" && n.output.every((o) => !isUsed(o))));
  g.topologicalSort();
  if (report.layers.length === 0 && cands.length + report.skipped.length > 0) {
    warnings.push("low-rank factorized no layer: none reached the energy threshold at a rank that saves parameters (see report.lowRank.skipped)");
  }
  ctx.onProgress?.(1);
  return { model, warnings, report };
}

/** Rewrites one node into its two factors. */
function applyFactorization(g: OnnxGraph, c: TCandidate, r: number): void {
  const { m, n, svd, node } = c;
  // Split √σ between the factors so both have similar ranges (friendlier to later int8 quantization).
  const left = new Float32Array(m * r);
  const right = new Float32Array(r * n);
  for (let j = 0; j < r; j++) {
    const sq = Math.sqrt(svd.s[j]);
    for (let i = 0; i < m; i++) left[i * r + j] = svd.u[i * svd.rank + j] * sq;
    for (let k = 0; k < n; k++) right[j * n + k] = svd.vt[j * n + k] * sq;
  }
  const base = c.key.replace(/[^A-Za-z0-9_.-]/g, "_");
  const hidden = g.createUniqueName(`${base}_lowrank_h`);
  const nodes = g.graph.node;
  const at = nodes.indexOf(node);
  if (node.opType === "MatMul" || node.opType === "Gemm") {
    // Y = X·W ≈ (X·L)·R with L = U√Σ [K, r], R = √ΣVᵀ [r, N].
    const lName = g.createUniqueName(`${base}_lowrank_a`);
    g.setInitializer(createTensor(lName, DTYPE.FLOAT, [m, r], left));
    const rName = g.createUniqueName(`${base}_lowrank_b`);
    g.setInitializer(createTensor(rName, DTYPE.FLOAT, [r, n], right));
    const first = createNodeProto("MatMul", [node.input[0], lName], [hidden], { name: g.createUniqueName(`${base}_lowrank_0`) });
    nodes.splice(at, 0, first);
    node.input[0] = hidden;
    node.input[1] = rName;
    if (node.opType === "Gemm") node.attribute = node.attribute.filter((a) => a.name !== "transB");
  } else {
    // Conv: W [Co, Ci·k] ≈ L [Co, r] · R [r, Ci·k]: a k×k Conv with r filters, then a 1×1 Conv with the bias.
    const w = g.findConstant(node.input[1])!;
    const dims = w.dims.map(Number);
    const spatial = dims.slice(2);
    const rName = g.createUniqueName(`${base}_lowrank_b`);
    g.setInitializer(createTensor(rName, DTYPE.FLOAT, [r, dims[1], ...spatial], right));
    const lName = g.createUniqueName(`${base}_lowrank_a`);
    g.setInitializer(createTensor(lName, DTYPE.FLOAT, [m, r, ...spatial.map(() => 1)], left));
    const first = createNodeProto("Conv", [node.input[0], rName], [hidden], {
      name: g.createUniqueName(`${base}_lowrank_0`),
      attribute: node.attribute.filter((a) => a.name !== "group").map((a) => ({ ...a })),
    });
    nodes.splice(at, 0, first);
    node.input[0] = hidden;
    node.input[1] = lName;
    // The 1×1 Conv keeps only what applies to it: no padding, unit strides, no dilation.
    node.attribute = node.attribute.filter((a) => !["pads", "strides", "dilations", "kernel_shape", "auto_pad", "group"].includes(a.name ?? ""));
  }
  g.invalidate();
}
