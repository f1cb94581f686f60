/**
 * The `low-rank` pass: replaces big weights by products of thinner ones.
 * - MatMul(X, W[K,N]) → MatMul(MatMul(X, U√Σ [K,r]), √ΣVᵀ [r,N]) from a truncated SVD;
 * - Gemm(X, B, C) (transA = 0) → Gemm(MatMul(X, U√Σ), √ΣVᵀ, C) with alpha/beta kept;
 * - Conv(group = 1), k×k, `conv: "tucker2"` (default): Tucker-2 by HOSVD, W ≈ core ×₁ U_o ×₂ U_i →
 *   Conv 1×1 (Ci→Ri, U_iᵀ) → Conv k×k (Ri→Ro, core, original strides/pads/dilations) → Conv 1×1 (Ro→Co, U_o, bias);
 * - Conv `conv: "spatial"` and every 1×1 Conv: Conv k×k with r filters (√ΣVᵀ) → Conv 1×1 (U√Σ, bias), the SVD of
 *   the Co × (Ci·kh·kw) unfolding.
 * Ranks come from a kept-energy threshold (per layer, per mode for Tucker-2) or one global parameter budget. A layer
 * is factorized only when it saves at least `minSavings` of its parameters AND of its MACs (Tucker-2's first 1×1
 * Conv runs at input resolution, so strided Convs count it stride² times). Main graph only.
 * Big matrices (m·n·l above JS_SVD_WORK) use the onnxruntime-backed randomized SVD (svd-fast.ts).
 */
import { ZLowRankOptions, type TLowRankOptions } from "../../../contracts/pipeline";
import { throwIfAborted } from "../../pipeline/abort";
import { DTYPE, createTensor, readTensorAsFloat32 } from "../../onnx/dtypes";
import { OnnxGraph, getAttrInt, getAttrInts } from "../../onnx/graph";
import { decodeModel, encodeModel } from "../../onnx/model-io";
import { createAttribute, createNodeProto, type TModelProto, type TNodeProto } from "../../onnx/onnx-proto";
import { createMatrixMultiplier, type TMatrixMultiplier } from "./ort-matmul";
import { chooseRankForEnergy, computeRandomizedSvd, sumOfSquares, type TSvd } from "./svd";
import { computeFullSvdByGram, computeRandomizedSvdFast } from "./svd-fast";

/** Above this m·n·l the SVD runs on onnxruntime Gemm (plain JS takes ~1 s per 3e7 here with 2 power iterations). */
const JS_SVD_WORK = 3e7;
/** Largest sketch for the onnxruntime path: the l×l eigenproblem and Cholesky stay in JS (O(l³), ~2 s at 520). */
const MAX_FAST_SKETCH = 768;

export type TLowRankLayer = {
  node: string;
  opType: string;
  method: "svd" | "tucker2";
  /** svd: rows × columns of the factorized matrix (Conv: Co × Ci·kh·kw); tucker2: [Co, Ci]. */
  shape: [number, number];
  /** svd: [r]; tucker2: [Ro, Ri] (output and input channel ranks). */
  ranks: number[];
  /** Share of the weight's squared Frobenius norm kept. */
  energyKept: number;
  paramsBefore: number;
  paramsAfter: number;
  /** Multiply-adds per output position (pixel or row). */
  macsBefore: number;
  macsAfter: number;
};

export type TLowRankReport = {
  layers: TLowRankLayer[];
  skipped: { node: string; reason: string }[];
  /** Parameters of the candidate layers before and after. */
  params: { before: number; after: number };
  settings: { energy?: number; targetParamsRatio?: number; minSavings: number; powerIterations: number; conv: "spatial" | "tucker2" };
};

type TChoice = { ranks: number[]; params: number; macs: number };

type TCandidate = {
  node: TNodeProto;
  key: string;
  method: "svd" | "tucker2";
  shape: [number, number];
  paramsBefore: number;
  macsBefore: number;
  /** Ranks keeping `energy`, or undefined when those ranks do not save `minSavings`. */
  choose: (energy: number) => TChoice | undefined;
  /** Why `choose(energy)` gave nothing. */
  explain: (energy: number) => string;
  /** Rewrites the node; returns the energy kept. */
  apply: (g: OnnxGraph, choice: TChoice) => number;
};

function nodeKey(n: TNodeProto): string {
  return n.name || n.output[0] || "?";
}

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j];
  return out;
}

type TWeight = { matrix: Float32Array; m: number; n: number; dims: number[] };

/** The weight of a node as an m×n matrix, or the reason it cannot be factorized. */
function readMatrix(g: OnnxGraph, node: TNodeProto): TWeight | string {
  const t = node.input[1] ? g.findConstant(node.input[1]) : undefined;
  if (!t) return "weight is not a constant";
  if (t.dataType !== DTYPE.FLOAT) return "weight is not float32";
  const dims = t.dims.map(Number);
  const values = readTensorAsFloat32(t);
  if (node.opType === "MatMul") {
    if (dims.length !== 2) return "weight is not 2-D";
    return { matrix: values, m: dims[0], n: dims[1], dims };
  }
  if (node.opType === "Gemm") {
    if (dims.length !== 2) return "weight is not 2-D";
    if (getAttrInt(node, "transA", 0) !== 0) return "transposed input (transA) is not supported";
    // Work on W = B (transB = 0) or Bᵀ, always [K, N].
    return getAttrInt(node, "transB", 0) ? { matrix: transpose(values, dims[0], dims[1]), m: dims[1], n: dims[0], dims } : { matrix: values, m: dims[0], n: dims[1], dims };
  }
  if (node.opType === "Conv") {
    if (dims.length < 3) return "weight rank is not supported";
    if (getAttrInt(node, "group", 1) !== 1) return "grouped/depthwise convolution (already cheap per channel)";
    const spatial = dims.slice(2).reduce((a, b) => a * b, 1);
    return { matrix: values, m: dims[0], n: dims[1] * spatial, dims };
  }
  return `op type ${node.opType} is not supported`;
}

type TSvdContext = { powerIterations: number; getMultiplier: () => Promise<TMatrixMultiplier> };

/** Top-`rank` SVD, in JS for small work and on onnxruntime for big matrices. */
async function computeSvd(matrix: Float32Array, m: number, n: number, rank: number, seed: number, ctx: TSvdContext): Promise<TSvd> {
  const l = Math.min(m, n, rank + 10);
  if (m * n * l <= JS_SVD_WORK) return computeRandomizedSvd(matrix, m, n, { rank, powerIterations: ctx.powerIterations, seed });
  // The whole spectrum: one Gram matrix beats sketching all of it with power iterations.
  if (rank >= Math.min(m, n)) return computeFullSvdByGram(matrix, m, n, await ctx.getMultiplier());
  return computeRandomizedSvdFast(matrix, m, n, { rank, powerIterations: ctx.powerIterations, seed, multiplier: await ctx.getMultiplier() });
}

/**
 * The SVD a matrix candidate needs: every singular value up to `maxRank` for small matrices; for big ones a sketch
 * that doubles from 128 until the energy is reached, an upper bound shows `maxRank` cannot reach it, or
 * MAX_FAST_SKETCH (a global budget needs the spectrum at every energy, so it sketches min(maxRank, MAX_FAST_SKETCH)).
 */
async function computeSvdForCandidate(w: TWeight, maxRank: number, totalEnergy: number, energy: number | undefined, seed: number, ctx: TSvdContext): Promise<TSvd> {
  const { matrix, m, n } = w;
  if (m * n * Math.min(m, n, maxRank + 10) <= JS_SVD_WORK) return computeSvd(matrix, m, n, maxRank, seed, ctx);
  const cap = Math.min(maxRank, MAX_FAST_SKETCH);
  if (energy === undefined) return computeSvd(matrix, m, n, cap, seed, ctx);
  let r = Math.min(cap, 128);
  for (;;) {
    const svd = await computeSvd(matrix, m, n, r, seed, ctx);
    if (r >= cap || chooseRankForEnergy(svd.s, totalEnergy, energy) !== undefined) return svd;
    // Singular values past the sketch are at most σ_r (5% margin: the sketch slightly underestimates it).
    let kept = 0;
    for (const v of svd.s) kept += v * v;
    const bound = kept + (maxRank - r) * (1.05 * svd.s[svd.s.length - 1]) ** 2;
    if (bound < energy * totalEnergy) return svd;
    r = Math.min(cap, 2 * r);
  }
}

/** Candidate for the plain SVD (MatMul, Gemm, spatial/1×1 Conv): parameters and MACs both r·(m + n). */
async function createSvdCandidate(node: TNodeProto, key: string, w: TWeight, o: TLowRankOptions, seed: number, ctx: TSvdContext): Promise<TCandidate | string> {
  const { m, n } = w;
  const maxRank = Math.floor(((1 - o.minSavings) * m * n) / (m + n));
  if (maxRank < 1) return "no rank saves enough parameters for this shape";
  const totalEnergy = sumOfSquares(w.matrix);
  const svd = await computeSvdForCandidate(w, maxRank, totalEnergy, o.targetParamsRatio === undefined ? o.energy : undefined, seed, ctx);
  const rankFor = (energy: number) => {
    const r = chooseRankForEnergy(svd.s, totalEnergy, energy);
    return r !== undefined && r <= maxRank ? r : undefined;
  };
  return {
    node,
    key,
    method: "svd",
    shape: [m, n],
    paramsBefore: m * n,
    macsBefore: m * n,
    choose: (energy) => {
      const r = rankFor(energy);
      return r === undefined ? undefined : { ranks: [r], params: r * (m + n), macs: r * (m + n) };
    },
    explain: (energy) => {
      const needed = chooseRankForEnergy(svd.s, totalEnergy, energy);
      return `keeping the energy needs rank ${needed ?? `> ${svd.rank}`}, above ${maxRank} (the most that saves ${Math.round(o.minSavings * 100)}% of ${m}×${n})`;
    },
    apply: (g, choice) => {
      const r = choice.ranks[0];
      applyFactorization(g, node, key, svd, r);
      let kept = 0;
      for (let j = 0; j < r; j++) kept += svd.s[j] ** 2;
      return kept / Math.max(1e-300, totalEnergy);
    },
  };
}

/** W [Co, Ci, K] → its mode-2 unfolding [Ci, Co·K]. */
function unfoldInputMode(w: Float32Array, co: number, ci: number, k: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < co; o++) for (let c = 0; c < ci; c++) out.set(w.subarray((o * ci + c) * k, (o * ci + c + 1) * k), (c * co + o) * k);
  return out;
}

/**
 * Tucker-2 factors of W [Co, Ci, K] at ranks (ro, ri): U_o [Co, ro], U_i [Ci, ri] (the leading left singular
 * vectors of the two channel unfoldings) and core [ro, ri, K] = W ×₁ U_oᵀ ×₂ U_iᵀ. Exact at full ranks.
 */
export function computeTucker2Factors(
  w: Float32Array,
  dims: { co: number; ci: number; k: number },
  uOut: TSvd,
  uIn: TSvd,
  ro: number,
  ri: number,
): { uo: Float64Array; ui: Float64Array; core: Float64Array } {
  const { co, ci, k } = dims;
  const uo = new Float64Array(co * ro);
  for (let o = 0; o < co; o++) for (let a = 0; a < ro; a++) uo[o * ro + a] = uOut.u[o * uOut.rank + a];
  const ui = new Float64Array(ci * ri);
  for (let c = 0; c < ci; c++) for (let b = 0; b < ri; b++) ui[c * ri + b] = uIn.u[c * uIn.rank + b];
  // T1[a, c, s] = Σ_o U_o[o, a] · W[o, c, s]
  const ck = ci * k;
  const t1 = new Float64Array(ro * ck);
  for (let o = 0; o < co; o++) {
    const wo = o * ck;
    for (let a = 0; a < ro; a++) {
      const u = uo[o * ro + a];
      if (u === 0) continue;
      const ta = a * ck;
      for (let j = 0; j < ck; j++) t1[ta + j] += u * w[wo + j];
    }
  }
  // core[a, b, s] = Σ_c U_i[c, b] · T1[a, c, s]
  const core = new Float64Array(ro * ri * k);
  for (let a = 0; a < ro; a++) {
    for (let c = 0; c < ci; c++) {
      const tc = (a * ci + c) * k;
      for (let b = 0; b < ri; b++) {
        const u = ui[c * ri + b];
        if (u === 0) continue;
        const cb = (a * ri + b) * k;
        for (let s = 0; s < k; s++) core[cb + s] += u * t1[tc + s];
      }
    }
  }
  return { uo, ui, core };
}

/** Product of a Conv's strides (its first 1×1 factor runs at input resolution, this many times per output pixel). */
function strideFactor(node: TNodeProto, spatialRank: number): number {
  const strides = getAttrInts(node, "strides") ?? [];
  let f = 1;
  for (let i = 0; i < spatialRank; i++) f *= strides[i] ?? 1;
  return f;
}

/** Candidate for Tucker-2 of a k×k Conv: ranks per channel mode by kept energy. */
async function createTucker2Candidate(node: TNodeProto, key: string, w: TWeight, o: TLowRankOptions, seed: number, ctx: TSvdContext): Promise<TCandidate | string> {
  const [co, ci] = w.dims;
  const spatialDims = w.dims.slice(2);
  const k = spatialDims.reduce((a, b) => a * b, 1);
  const stride = strideFactor(node, spatialDims.length);
  const before = co * ci * k;
  const budget = (1 - o.minSavings) * before;
  const paramsAt = (ro: number, ri: number) => ci * ri + ri * ro * k + ro * co;
  const macsAt = (ro: number, ri: number) => ci * ri * stride + ri * ro * k + ro * co;
  if (paramsAt(1, 1) > budget || macsAt(1, 1) > budget) return "no Tucker-2 ranks save enough parameters and MACs for this shape";
  const totalEnergy = sumOfSquares(w.matrix);
  // Full spectra of both channel unfoldings (channel counts are small next to Ci·K), so any energy can be chosen.
  const uOut = await computeSvd(w.matrix, co, ci * k, Math.min(co, ci * k), seed, ctx);
  const uIn = await computeSvd(unfoldInputMode(w.matrix, co, ci, k), ci, co * k, Math.min(ci, co * k), seed + 1, ctx);
  const ranksFor = (energy: number): [number, number] => [chooseRankForEnergy(uOut.s, totalEnergy, energy) ?? uOut.rank, chooseRankForEnergy(uIn.s, totalEnergy, energy) ?? uIn.rank];
  return {
    node,
    key,
    method: "tucker2",
    shape: [co, ci],
    paramsBefore: before,
    macsBefore: before,
    choose: (energy) => {
      const [ro, ri] = ranksFor(energy);
      const params = paramsAt(ro, ri);
      const macs = macsAt(ro, ri);
      return params <= budget && macs <= budget ? { ranks: [ro, ri], params, macs } : undefined;
    },
    explain: (energy) => {
      const [ro, ri] = ranksFor(energy);
      return `keeping the energy needs Tucker-2 ranks ${ro}×${ri}: ${paramsAt(ro, ri)} parameters and ${macsAt(ro, ri)} MACs per pixel against ${before} (must save ${Math.round(o.minSavings * 100)}%)`;
    },
    apply: (g, choice) => {
      const [ro, ri] = choice.ranks;
      const f = computeTucker2Factors(w.matrix, { co, ci, k }, uOut, uIn, ro, ri);
      applyTucker2(g, node, key, spatialDims, f, ro, ri);
      return sumOfSquares(f.core) / Math.max(1e-300, totalEnergy);
    },
  };
}

/** Factorizes the model's big MatMul/Gemm/Conv weights. The input model is not modified. */
export async function factorizeLowRank(
  input: TModelProto,
  rawOptions: Partial<TLowRankOptions> = {},
  ctx: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
): Promise<{ model: TModelProto; warnings: string[]; report: TLowRankReport }> {
  const o = ZLowRankOptions.parse(rawOptions);
  const model = decodeModel(encodeModel(input));
  const graph = model.graph;
  const report: TLowRankReport = {
    layers: [],
    skipped: [],
    params: { before: 0, after: 0 },
    settings: {
      ...(o.targetParamsRatio ? { targetParamsRatio: o.targetParamsRatio } : { energy: o.energy }),
      minSavings: o.minSavings,
      powerIterations: o.powerIterations,
      conv: o.conv,
    },
  };
  const warnings: string[] = [];
  if (!graph) return { model, warnings, report };
  const g = new OnnxGraph(graph);
  const exclude = new Set(o.nodesToExclude);
  const opTypes = new Set<string>(o.opTypes);
  let multiplier: Promise<TMatrixMultiplier> | undefined;
  const svdCtx: TSvdContext = { powerIterations: o.powerIterations, getMultiplier: () => (multiplier ??= createMatrixMultiplier()) };

  try {
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
      if (read.m * read.n < o.minWeightElements) {
        report.skipped.push({ node: key, reason: `weight has ${read.m * read.n} elements, fewer than minWeightElements ${o.minWeightElements}` });
        continue;
      }
      const spatial = node.opType === "Conv" ? read.dims.slice(2).reduce((a, b) => a * b, 1) : 1;
      const cand = node.opType === "Conv" && o.conv === "tucker2" && spatial > 1 ? await createTucker2Candidate(node, key, read, o, o.seed + i, svdCtx) : await createSvdCandidate(node, key, read, o, o.seed + i, svdCtx);
      if (typeof cand === "string") report.skipped.push({ node: key, reason: cand });
      else cands.push(cand);
      ctx.onProgress?.((0.9 * (i + 1)) / targets.length);
    }

    let choices: (TChoice | undefined)[];
    const chooseAll = (energy: number) => cands.map((c) => c.choose(energy));
    if (o.targetParamsRatio !== undefined) {
      // One energy threshold for all layers, the highest that meets the budget (bisection: params grow with energy).
      const before = cands.reduce((a, c) => a + c.paramsBefore, 0);
      const paramsAt = (cs: (TChoice | undefined)[]) => cands.reduce((a, c, i) => a + (cs[i]?.params ?? c.paramsBefore), 0);
      let lo = 0.01;
      let hi = 1;
      for (let it = 0; it < 40; it++) {
        const mid = (lo + hi) / 2;
        if (paramsAt(chooseAll(mid)) <= o.targetParamsRatio * before) lo = mid;
        else hi = mid;
      }
      choices = chooseAll(lo);
      if (cands.length > 0 && paramsAt(choices) > o.targetParamsRatio * before) {
        warnings.push(`low-rank: the parameter budget ${o.targetParamsRatio} could not be met (reached ${(paramsAt(choices) / before).toFixed(3)})`);
      }
    } else {
      choices = chooseAll(o.energy);
    }

    for (const [i, c] of cands.entries()) {
      const choice = choices[i];
      report.params.before += c.paramsBefore;
      if (choice === undefined) {
        report.params.after += c.paramsBefore;
        report.skipped.push({ node: c.key, reason: c.explain(o.energy) });
        continue;
      }
      const energyKept = c.apply(g, choice);
      report.params.after += choice.params;
      report.layers.push({
        node: c.key,
        opType: c.node.opType ?? "",
        method: c.method,
        shape: c.shape,
        ranks: choice.ranks,
        energyKept,
        paramsBefore: c.paramsBefore,
        paramsAfter: choice.params,
        macsBefore: c.macsBefore,
        macsAfter: choice.macs,
      });
    }
    // Drop weights nothing reads any more.
    g.invalidate();
    const isUsed = (name: string) => g.getConsumers(name).length > 0 || g.isGraphOutput(name);
    graph.initializer = graph.initializer.filter((t) => isUsed(t.name ?? ""));
    // Exporters such as PaddlePaddle keep weights in Constant nodes: drop the ones nothing reads now.
    g.removeNodes(graph.node.filter((n) => n.opType === "Constant" && (n.domain ?? "") === "" && n.output.every((out) => !isUsed(out))));
    g.topologicalSort();
    if (report.layers.length === 0 && cands.length + report.skipped.length > 0) {
      warnings.push("low-rank factorized no layer: none reached the energy threshold at a rank that saves parameters (see report.lowRank.skipped)");
    }
  } finally {
    if (multiplier) await (await multiplier).release();
  }
  ctx.onProgress?.(1);
  return { model, warnings, report };
}

/** Rewrites a k×k Conv into 1×1 (U_iᵀ) → k×k (core) → 1×1 (U_o, the original node with its bias). */
function applyTucker2(g: OnnxGraph, node: TNodeProto, key: string, spatialDims: number[], f: { uo: Float64Array; ui: Float64Array; core: Float64Array }, ro: number, ri: number): void {
  const co = f.uo.length / ro;
  const ci = f.ui.length / ri;
  const ones = spatialDims.map(() => 1);
  const base = key.replace(/[^A-Za-z0-9_.-]/g, "_");
  const first = new Float32Array(ri * ci);
  for (let c = 0; c < ci; c++) for (let b = 0; b < ri; b++) first[b * ci + c] = f.ui[c * ri + b];
  const fName = g.createUniqueName(`${base}_tucker_in`);
  g.setInitializer(createTensor(fName, DTYPE.FLOAT, [ri, ci, ...ones], first));
  const cName = g.createUniqueName(`${base}_tucker_core`);
  g.setInitializer(createTensor(cName, DTYPE.FLOAT, [ro, ri, ...spatialDims], Float32Array.from(f.core)));
  const lName = g.createUniqueName(`${base}_tucker_out`);
  g.setInitializer(createTensor(lName, DTYPE.FLOAT, [co, ro, ...ones], Float32Array.from(f.uo)));
  const h1 = g.createUniqueName(`${base}_tucker_h1`);
  const h2 = g.createUniqueName(`${base}_tucker_h2`);
  const nodes = g.graph.node;
  const at = nodes.indexOf(node);
  // No bias on the first two: zero padding then commutes with the 1×1 reduction, so the core keeps the pads.
  const reduce = createNodeProto("Conv", [node.input[0], fName], [h1], {
    name: g.createUniqueName(`${base}_tucker_0`),
    attribute: [createAttribute("kernel_shape", ones, { asInt: true })],
  });
  const core = createNodeProto("Conv", [h1, cName], [h2], {
    name: g.createUniqueName(`${base}_tucker_1`),
    attribute: node.attribute.filter((a) => a.name !== "group").map((a) => ({ ...a })),
  });
  nodes.splice(at, 0, reduce, core);
  node.input[0] = h2;
  node.input[1] = lName;
  node.attribute = node.attribute.filter((a) => !["pads", "strides", "dilations", "kernel_shape", "auto_pad", "group"].includes(a.name ?? ""));
  g.invalidate();
}

/** Rewrites one node into its two factors. */
function applyFactorization(g: OnnxGraph, node: TNodeProto, key: string, svd: TSvd, r: number): void {
  const { m, n } = svd;
  // Split √σ between the factors so both have similar ranges (friendlier to later int8 quantization).
  const left = new Float32Array(m * r);
  const right = new Float32Array(r * n);
  for (let j = 0; j < r; j++) {
    const sq = Math.sqrt(svd.s[j]);
    for (let i = 0; i < m; i++) left[i * r + j] = svd.u[i * svd.rank + j] * sq;
    for (let k = 0; k < n; k++) right[j * n + k] = svd.vt[j * n + k] * sq;
  }
  const base = key.replace(/[^A-Za-z0-9_.-]/g, "_");
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
