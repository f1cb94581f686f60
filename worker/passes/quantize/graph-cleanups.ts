/**
 * Exact graph clean-ups that make QDQ models faster (run by `prepare`):
 * - Conv → Mul(constant) / Add(constant) per channel folds into the Conv's weights and bias. onnxruntime does this
 *   itself for float models, but not once a DequantizeLinear sits on the weight, so it must happen before.
 * - x·Clip(x+3, 0, 6)/6 (and x·HardSigmoid(x)) becomes one HardSwish (opset 14): four float passes over the
 *   activation between two QLinearConvs become one.
 */
import type { TGraphProto, TModelProto, TNodeProto, TTensorProto } from "../../onnx/onnx-proto";
import { createFloatTensor, createNodeProto, DTYPE, getDefaultOpset, getFloatAttribute, indexGraph, readFloatTensor, type TGraphIndex } from "./onnx-helpers";

/** Per-output-channel values of a constant broadcastable against a Conv output [N, C, ...]; undefined otherwise. */
function readChannelConstant(t: TTensorProto | undefined, channels: number, convRank: number): Float32Array | undefined {
  if (!t || t.dataType !== DTYPE.FLOAT) return undefined;
  const v = readFloatTensor(t);
  if (v.length === 1) return new Float32Array(channels).fill(v[0]);
  if (v.length !== channels) return undefined;
  // Shapes [C, 1, 1], [1, C, 1, 1] (or [C] for 1-D Conv outputs' last... not channel): channel must be axis 1 of the output.
  const dims = t.dims;
  const fromEnd = dims.length - dims.findIndex((d) => d === channels);
  if (dims.filter((d) => d !== 1).length !== 1 || fromEnd !== convRank - 1) return undefined;
  return v;
}

function otherInput(node: TNodeProto, name: string): string | undefined {
  if (node.input.length !== 2) return undefined;
  if (node.input[0] === name) return node.input[1];
  if (node.input[1] === name) return node.input[0];
  return undefined;
}

/** Folds Mul/Add by per-channel constants that directly follow a Conv. Returns the number of nodes removed. */
export function foldConvAffine(g: TGraphProto): number {
  let removed = 0;
  // Each pass folds at most one Mul/Add per Conv (Conv → Mul → Add takes two passes); the index is rebuilt per
  // pass, not per fold, so this stays linear in the graph size.
  for (let pass = 0; pass < 8; pass++) {
    const idx = indexGraph(g);
    const drop = new Set<TNodeProto>();
    for (const conv of g.node) {
      if (conv.opType !== "Conv" || (conv.domain && conv.domain !== "ai.onnx")) continue;
      const y = conv.output[0];
      const users = idx.consumers.get(y) ?? [];
      if (users.length !== 1 || idx.graphOutputs.has(y)) continue;
      const next = users[0];
      if ((next.opType !== "Mul" && next.opType !== "Add") || drop.has(next)) continue;
      const W = idx.initializers.get(conv.input[1]);
      if (!W || W.dataType !== DTYPE.FLOAT || (idx.consumers.get(W.name!) ?? []).length !== 1) continue;
      const B = conv.input[2] ? idx.initializers.get(conv.input[2]) : undefined;
      if (conv.input[2] && (!B || (idx.consumers.get(B.name!) ?? []).length !== 1)) continue;
      const M = W.dims[0];
      const cName = otherInput(next, y);
      const c = readChannelConstant(cName ? idx.initializers.get(cName) : undefined, M, W.dims.length);
      if (!c) continue;
      const b = B ? readFloatTensor(B) : new Float32Array(M);
      if (next.opType === "Mul") {
        const w = readFloatTensor(W);
        const per = w.length / M;
        for (let m = 0; m < M; m++) {
          for (let i = 0; i < per; i++) w[m * per + i] *= c[m];
          b[m] *= c[m];
        }
        replaceInitializer(g, W, createFloatTensor(W.name!, W.dims, w));
      } else {
        for (let m = 0; m < M; m++) b[m] += c[m];
      }
      absorbFollowingNode(g, conv, W, B, b, next);
      drop.add(next);
    }
    if (drop.size === 0) break;
    g.node = g.node.filter((n) => !drop.has(n));
    removed += drop.size;
  }
  return removed;
}

/** Stores the folded bias `b` (the existing bias tensor, or a new one) and makes `conv` produce `next`'s output. */
function absorbFollowingNode(g: TGraphProto, conv: TNodeProto, W: TTensorProto, B: TTensorProto | undefined, b: Float32Array, next: TNodeProto): void {
  const bName = B?.name ?? `${W.name}_folded_bias`;
  if (B) replaceInitializer(g, B, createFloatTensor(bName, [b.length], b));
  else g.initializer.push(createFloatTensor(bName, [b.length], b));
  conv.input = [conv.input[0], conv.input[1], bName];
  conv.output = [next.output[0]];
}

function replaceInitializer(g: TGraphProto, old: TTensorProto, t: TTensorProto): void {
  g.initializer[g.initializer.indexOf(old)] = t;
}

function scalarOf(idx: TGraphIndex, name: string | undefined): number | undefined {
  if (!name) return undefined;
  const t = idx.initializers.get(name);
  if (!t || t.dataType !== DTYPE.FLOAT || t.dims.reduce((a, b) => a * b, 1) !== 1) return undefined;
  return readFloatTensor(t)[0];
}

const near = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b));

/**
 * Replaces hard-swish subgraphs with HardSwish. Needs opset ≥ 14 (the caller raises it when this finds a match).
 * Returns the matched patterns; with `apply` false it only counts.
 */
export function fuseHardSwish(g: TGraphProto, apply: boolean): number {
  const idx = indexGraph(g);
  const single = (name: string) => (idx.consumers.get(name) ?? []).length === 1 && !idx.graphOutputs.has(name);
  const drop = new Set<TNodeProto>();
  const replace = new Map<TNodeProto, TNodeProto>();
  let found = 0;
  for (const mul of g.node) {
    if (mul.opType !== "Mul" || mul.input.length !== 2 || drop.has(mul)) continue;
    for (const side of [0, 1]) {
      const x = mul.input[side];
      const gate = idx.producer.get(mul.input[1 - side]);
      if (!gate || !single(gate.output[0])) continue;
      let chain: TNodeProto[] | undefined;
      let scaleAfter = 1;
      if (gate.opType === "HardSigmoid" && gate.input[0] === x && near(getFloatAttribute(gate, "alpha", 0.2), 1 / 6) && near(getFloatAttribute(gate, "beta", 0.5), 0.5)) {
        chain = [gate];
      } else if (gate.opType === "Clip" && near(scalarOf(idx, gate.input[1]), 0) && near(scalarOf(idx, gate.input[2]), 6)) {
        const add = idx.producer.get(gate.input[0]);
        if (add && add.opType === "Add" && single(add.output[0]) && otherInput(add, x) !== undefined && near(scalarOf(idx, otherInput(add, x)), 3)) {
          chain = [add, gate];
          scaleAfter = 6;
        }
      }
      if (!chain) continue;
      let last = mul;
      let tail: TNodeProto | undefined;
      if (scaleAfter === 6) {
        // x·clip(x+3,0,6) must still be divided by 6 (Div 6 or Mul 1/6).
        const users = idx.consumers.get(mul.output[0]) ?? [];
        if (users.length !== 1 || idx.graphOutputs.has(mul.output[0])) continue;
        const u = users[0];
        if (u.opType === "Div" && u.input[0] === mul.output[0] && near(scalarOf(idx, u.input[1]), 6)) tail = u;
        else if (u.opType === "Mul" && near(scalarOf(idx, otherInput(u, mul.output[0])), 1 / 6)) tail = u;
        if (!tail) continue;
        last = tail;
      }
      found++;
      if (apply) {
        for (const n of chain) drop.add(n);
        if (tail) drop.add(mul);
        replace.set(last, createNodeProto("HardSwish", [x], [last.output[0]], { name: `${mul.name}_HardSwish` }));
      }
      break;
    }
  }
  if (apply && found) g.node = g.node.filter((n) => !drop.has(n)).map((n) => replace.get(n) ?? n);
  return found;
}

/** Raises the default opset from 13 to 14 (no op changed meaning between them for inference). */
export function upgradeOpset13To14(model: TModelProto): boolean {
  if (getDefaultOpset(model) !== 13) return getDefaultOpset(model) >= 14;
  model.opsetImport.find((x) => !x.domain || x.domain === "ai.onnx")!.version = 14;
  return true;
}

/**
 * ConvTranspose (group 1) → Add/Mul by per-channel constants → BatchNormalization folds into the ConvTranspose's
 * weights ([Cin, Cout, k...]: output channel on axis 1) and bias. onnxruntime folds neither for ConvTranspose, and
 * the QDQ path leaves ConvTranspose in float, so these would be extra full-resolution float passes (DBNet's head).
 */
export function foldConvTransposeAffine(g: TGraphProto): number {
  let removed = 0;
  for (let pass = 0; pass < 8; pass++) {
    const idx = indexGraph(g);
    const drop = new Set<TNodeProto>();
    for (const ct of g.node) {
      if (ct.opType !== "ConvTranspose" || (ct.domain && ct.domain !== "ai.onnx")) continue;
      const group = Number(ct.attribute.find((a) => a.name === "group")?.i ?? 1);
      const y = ct.output[0];
      const users = idx.consumers.get(y) ?? [];
      if (group !== 1 || users.length !== 1 || idx.graphOutputs.has(y)) continue;
      const next = users[0];
      if (drop.has(next) || (next.domain && next.domain !== "ai.onnx")) continue;
      const W = idx.initializers.get(ct.input[1]);
      if (!W || W.dataType !== DTYPE.FLOAT || W.dims.length < 3 || (idx.consumers.get(W.name!) ?? []).length !== 1) continue;
      const B = ct.input[2] ? idx.initializers.get(ct.input[2]) : undefined;
      if (ct.input[2] && (!B || B.dataType !== DTYPE.FLOAT || (idx.consumers.get(B.name!) ?? []).length !== 1)) continue;
      const M = W.dims[1];
      let scale: Float32Array | undefined;
      let shift: Float32Array | undefined;
      if ((next.opType === "Mul" || next.opType === "Add") && next.input.length === 2) {
        const cName = otherInput(next, y);
        const c = readChannelConstant(cName ? idx.initializers.get(cName) : undefined, M, W.dims.length);
        if (!c) continue;
        if (next.opType === "Mul") scale = c;
        else shift = c;
      } else if (next.opType === "BatchNormalization" && next.output.filter((o) => o).length === 1 && Number(next.attribute.find((a) => a.name === "training_mode")?.i ?? 0) === 0) {
        const [gamma, beta, mean, variance] = next.input.slice(1, 5).map((n) => idx.initializers.get(n));
        if (![gamma, beta, mean, variance].every((t) => t && t.dataType === DTYPE.FLOAT && readFloatTensor(t).length === M)) continue;
        const eps = getFloatAttribute(next, "epsilon", 1e-5);
        const [ga, be, mu, va] = [gamma!, beta!, mean!, variance!].map(readFloatTensor);
        scale = Float32Array.from({ length: M }, (_, c) => ga[c] / Math.sqrt(va[c] + eps));
        shift = Float32Array.from({ length: M }, (_, c) => be[c] - mu[c] * scale![c]);
      } else continue;
      const w = readFloatTensor(W);
      const b = B ? readFloatTensor(B) : new Float32Array(M);
      const spatial = w.length / (W.dims[0] * M);
      if (scale) {
        for (let i = 0; i < W.dims[0]; i++) for (let m = 0; m < M; m++) for (let k = 0; k < spatial; k++) w[(i * M + m) * spatial + k] *= scale[m];
        for (let m = 0; m < M; m++) b[m] *= scale[m];
      }
      if (shift) for (let m = 0; m < M; m++) b[m] += shift[m];
      if (![...w, ...b].every(Number.isFinite)) continue;
      replaceInitializer(g, W, createFloatTensor(W.name!, W.dims, w));
      absorbFollowingNode(g, ct, W, B, b, next);
      drop.add(next);
    }
    if (drop.size === 0) break;
    g.node = g.node.filter((n) => !drop.has(n));
    removed += drop.size;
  }
  return removed;
}
