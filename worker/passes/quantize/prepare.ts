/**
 * Prepares a float model for quantization (ORT's `quant_pre_process` equivalent), on a copy:
 * names every node (exclusion lists refer to names), turns Constant-node weights into initializers,
 * turns float16 weights that are Cast to float back into float32 initializers, folds BatchNormalization into the
 * preceding Conv, and raises the opset to 13 when per-channel Q/DQ is wanted.
 */
import type { TGraphProto, TModelProto, TNodeProto, TTensorProto } from "../../onnx/onnx-proto";
import { assertFloatModel } from "./detect";
import {
  cloneModel,
  createFloatTensor,
  createNameFactory,
  DTYPE,
  findAttribute,
  forEachGraph,
  getDefaultOpset,
  getFloatAttribute,
  getIntAttribute,
  indexGraph,
  readFloatTensor,
} from "./onnx-helpers";
import { findOpsetUpgradeBlocker, upgradeOpsetTo13 } from "./opset-upgrade";
import { createTensor } from "./onnx-helpers";
import { foldConvAffine, foldConvTransposeAffine, fuseHardSwish, upgradeOpset13To14 } from "./graph-cleanups";

export type TPrepareOptions = {
  /** Raise the default opset to 13 (needed for per-channel Q/DQ). */
  upgradeOpset?: boolean;
  /** Fold BatchNormalization into the preceding Conv. */
  foldBatchNorm?: boolean;
  /** Fold Conv → Mul/Add(constant) and fuse hard-swish patterns (exact rewrites that speed up QDQ models). */
  cleanUp?: boolean;
  /**
   * With cleanUp: also fold ConvTranspose → Add/Mul/BatchNormalization into the ConvTranspose (exact; int8-static
   * turns it on: a QDQ ConvTranspose stays float on the CPU provider, so these would stay extra float passes).
   * Folding a scalar shift into the next unpadded Conv was tried too: exact in float, but with percentile ranges
   * the quantized PP-OCRv4 det lost fidelity (held-out worst-batch cosine 0.933 → 0.886), so it is not done.
   */
  foldConvTranspose?: boolean;
  /** Refuse models that are already quantized or float16 (default true). */
  refuseQuantized?: boolean;
};

export type TPrepareResult = {
  model: TModelProto;
  /** Human-readable notes for the report (e.g. why the opset could not be raised). */
  warnings: string[];
  stats: { constantsMoved: number; batchNormsFolded: number; fp16WeightsRestored: number; opsetUpgraded: boolean; affineFolded: number; hardSwishFused: number; convTransposeFolded: number };
};

/** Prepares a copy of `model`; the input is never modified. */
export function prepareForQuantization(model: TModelProto, opts: TPrepareOptions = {}): TPrepareResult {
  if (opts.refuseQuantized !== false) assertFloatModel(model, "prepare");
  const m = cloneModel(model);
  const namer = createNameFactory(m);
  const warnings: string[] = [];
  const stats = { constantsMoved: 0, batchNormsFolded: 0, fp16WeightsRestored: 0, opsetUpgraded: false, affineFolded: 0, hardSwishFused: 0, convTransposeFolded: 0 };
  assignNodeNames(m, namer);
  const ir = m.irVersion ?? 0;
  forEachGraph(m.graph!, (g, depth) => {
    // Before IR 4 initializers had to be graph inputs too; keep such old models' subgraphs untouched.
    if (ir < 4 && depth > 0) return;
    stats.constantsMoved += moveConstantsToInitializers(g, ir < 4);
    stats.fp16WeightsRestored += restoreFloat16Weights(g);
  });
  if (opts.foldBatchNorm !== false) {
    forEachGraph(m.graph!, (g) => {
      stats.batchNormsFolded += foldBatchNormIntoConv(g);
    });
  }
  if (opts.upgradeOpset && getDefaultOpset(m) < 13) {
    const blocker = findOpsetUpgradeBlocker(m);
    if (blocker) warnings.push(`opset stays ${getDefaultOpset(m)}: ${blocker}; weights use per-tensor scales`);
    else stats.opsetUpgraded = upgradeOpsetTo13(m, namer);
  }
  if (opts.cleanUp) {
    stats.affineFolded = foldConvAffine(m.graph!);
    if (opts.foldConvTranspose) stats.convTransposeFolded = foldConvTransposeAffine(m.graph!);
    // HardSwish exists from opset 14; 13 → 14 changes no op's meaning, older models keep the pattern.
    if (fuseHardSwish(m.graph!, false) > 0 && getDefaultOpset(m) >= 13 && upgradeOpset13To14(m)) {
      stats.hardSwishFused = fuseHardSwish(m.graph!, true);
    }
  }
  return { model: m, warnings, stats };
}

/** Gives unnamed nodes a stable name `<OpType>_<index>` so exclusion lists and reports can refer to them. */
export function assignNodeNames(model: TModelProto, namer: (base: string) => string): void {
  let i = 0;
  forEachGraph(model.graph!, (g) => {
    for (const n of g.node) {
      if (!n.name) n.name = namer(`${n.opType}_${i}`);
      i++;
    }
  });
}

/** Constant nodes with a tensor value become initializers of the same graph (subgraph constants stay local). */
function moveConstantsToInitializers(g: TGraphProto, alsoAsInput: boolean): number {
  let moved = 0;
  const keep: TNodeProto[] = [];
  for (const n of g.node) {
    if (n.opType === "Constant" && (!n.domain || n.domain === "ai.onnx") && n.output.length === 1) {
      const t = constantValue(n);
      if (t) {
        t.name = n.output[0];
        g.initializer.push(t);
        if (alsoAsInput) g.input.push({ name: t.name, type: { tensorType: { elemType: t.dataType } }, metadataProps: [] });
        moved++;
        continue;
      }
    }
    keep.push(n);
  }
  g.node = keep;
  return moved;
}

function constantValue(n: TNodeProto): TTensorProto | undefined {
  const value = findAttribute(n, "value");
  if (value?.t) return { ...value.t };
  const vf = findAttribute(n, "value_float");
  if (vf) return createFloatTensor("", [], Float32Array.of(vf.f ?? 0));
  const vfs = findAttribute(n, "value_floats");
  if (vfs) return createFloatTensor("", [vfs.floats.length], Float32Array.from(vfs.floats));
  const vi = findAttribute(n, "value_int");
  if (vi) return createTensor("", DTYPE.INT64, [], BigInt64Array.of(vi.i ?? 0n));
  const vis = findAttribute(n, "value_ints");
  if (vis) return createTensor("", DTYPE.INT64, [vis.ints.length], BigInt64Array.from(vis.ints));
  return undefined;
}

/**
 * float16 initializers whose only consumers are Cast(to=float) are stored as float32 instead
 * (the Cast output becomes the initializer), so weight quantization sees plain float32 weights.
 */
function restoreFloat16Weights(g: TGraphProto): number {
  const idx = indexGraph(g);
  const drop = new Set<TNodeProto>();
  let restored = 0;
  for (const t of [...g.initializer]) {
    if (t.dataType !== DTYPE.FLOAT16 || !t.name) continue;
    const users = idx.consumers.get(t.name) ?? [];
    if (users.length === 0 || idx.graphOutputs.has(t.name)) continue;
    const allCasts = users.every((u) => u.opType === "Cast" && getIntAttribute(u, "to", 0) === DTYPE.FLOAT && u.input[0] === t.name);
    if (!allCasts) continue;
    const values = readFloatTensor(t);
    g.initializer.splice(g.initializer.indexOf(t), 1);
    users.forEach((u, i) => {
      g.initializer.push(createFloatTensor(u.output[0], t.dims, i === 0 ? values : Float32Array.from(values)));
      drop.add(u);
    });
    restored++;
  }
  if (drop.size) g.node = g.node.filter((n) => !drop.has(n));
  return restored;
}

function isAllFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/**
 * Conv → BatchNormalization with constant parameters becomes one Conv:
 * W'[c] = W[c]·γ[c]/√(σ²[c]+ε), b'[c] = (b[c] − μ[c])·γ[c]/√(σ²[c]+ε) + β[c].
 * Must run before weight DequantizeLinear nodes exist (ORT cannot fold BN through them).
 */
export function foldBatchNormIntoConv(g: TGraphProto): number {
  const idx = indexGraph(g);
  const drop = new Set<TNodeProto>();
  const orphanCandidates = new Set<string>();
  let folded = 0;
  for (const bn of g.node) {
    if (bn.opType !== "BatchNormalization" || (bn.domain && bn.domain !== "ai.onnx")) continue;
    if (bn.output.filter((o) => o).length !== 1 || getIntAttribute(bn, "training_mode", 0) !== 0) continue;
    const conv = idx.producer.get(bn.input[0]);
    if (!conv || conv.opType !== "Conv" || (conv.domain && conv.domain !== "ai.onnx")) continue;
    if ((idx.consumers.get(conv.output[0]) ?? []).length !== 1 || idx.graphOutputs.has(conv.output[0])) continue;
    const W = idx.initializers.get(conv.input[1]);
    const B = conv.input[2] ? idx.initializers.get(conv.input[2]) : undefined;
    const [gamma, beta, mean, variance] = bn.input.slice(1, 5).map((n) => idx.initializers.get(n));
    if (!W || (conv.input[2] && !B) || !gamma || !beta || !mean || !variance) continue;
    if (W.dataType !== DTYPE.FLOAT) continue;
    // The weights may be shared with another Conv: only fold a private copy.
    if ((idx.consumers.get(W.name!) ?? []).length !== 1) continue;
    const eps = getFloatAttribute(bn, "epsilon", 1e-5);
    const w = readFloatTensor(W);
    const M = W.dims[0];
    const perOut = w.length / M;
    const ga = readFloatTensor(gamma);
    const be = readFloatTensor(beta);
    const mu = readFloatTensor(mean);
    const va = readFloatTensor(variance);
    const b = B ? readFloatTensor(B) : new Float32Array(M);
    const newW = new Float32Array(w.length);
    const newB = new Float32Array(M);
    for (let c = 0; c < M; c++) {
      const f = ga[c] / Math.sqrt(va[c] + eps);
      for (let i = 0; i < perOut; i++) newW[c * perOut + i] = w[c * perOut + i] * f;
      newB[c] = (b[c] - mu[c]) * f + be[c];
    }
    // Dead channels of real models (ppocr_rec) pair weights near 1e-30 with BN factors near 1e38: the product can
    // overflow float32 to Inf/NaN. Such a fold would poison every later step, so that BN stays unfolded.
    if (!isAllFinite(newW) || !isAllFinite(newB)) continue;
    const wName = W.name!;
    g.initializer[g.initializer.indexOf(W)] = createFloatTensor(wName, W.dims, newW);
    const bName = B && (idx.consumers.get(B.name!) ?? []).length === 1 ? B.name! : `${conv.name}_bn_bias`;
    if (B && bName === B.name) g.initializer.splice(g.initializer.indexOf(B), 1);
    g.initializer.push(createFloatTensor(bName, [M], newB));
    conv.input = [conv.input[0], conv.input[1], bName];
    conv.output = [bn.output[0]];
    drop.add(bn);
    for (const p of bn.input.slice(1, 5)) orphanCandidates.add(p);
    folded++;
  }
  if (drop.size) g.node = g.node.filter((n) => !drop.has(n));
  // The BN parameters are dead now unless something else reads them (possibly from a subgraph): drop them, or
  // they stay in the file (and, in the fp16 pass, as float32).
  if (orphanCandidates.size) {
    const read = new Set<string>(g.output.map((o) => o.name ?? ""));
    const collect = (graph: TGraphProto): void => {
      for (const n of graph.node) {
        for (const x of n.input) read.add(x);
        for (const a of n.attribute) for (const sg of [...(a.g ? [a.g] : []), ...a.graphs]) collect(sg);
      }
    };
    collect(g);
    g.initializer = g.initializer.filter((t) => !orphanCandidates.has(t.name ?? "") || read.has(t.name ?? ""));
  }
  return folded;
}
