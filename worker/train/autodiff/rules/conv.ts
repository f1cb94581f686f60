/**
 * Conv gradients (any spatial rank, strides, pads incl. auto_pad, dilations, groups incl. depthwise).
 * Input gradient: ConvTranspose with the forward weights and an explicit output_padding (RECIPE: `output_shape`
 * silently gives a wrong gradient when output_padding would exceed 1); depthwise as a flipped-kernel Conv. Weight
 * gradient by layer kind: depthwise as blocked GEMMs over the last axis, 1×1 as one batched MatMul, other ungrouped
 * layers as a Conv with batch and channels swapped, other grouped layers as an unfold (Pad + one strided Slice per
 * kernel offset) and one batched MatMul per group. Each form was chosen by profiling MobileNet-like layers.
 */
import { countElements } from "../graph-builder";
import type { TGradContext, TGradRule } from "../grad-rule";
import { getAttrInt, getAttrInts, getAttrString } from "./rule-utils";

export type TConvGeometry = {
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
  kernel: number[];
};

/** Strides, dilations and explicit pads of a Conv/pool node, resolving auto_pad against the static input shape. */
export function readConvGeometry(ctx: TGradContext, spatial: number[], kernel: number[]): TConvGeometry {
  const r = spatial.length;
  const strides = getAttrInts(ctx.node, "strides") ?? Array(r).fill(1);
  const dilations = getAttrInts(ctx.node, "dilations") ?? Array(r).fill(1);
  const autoPad = getAttrString(ctx.node, "auto_pad", "NOTSET");
  let padsBegin: number[] = Array(r).fill(0);
  let padsEnd: number[] = Array(r).fill(0);
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    for (let i = 0; i < r; i++) {
      const out = Math.ceil(spatial[i]! / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - spatial[i]!);
      padsBegin[i] = autoPad === "SAME_UPPER" ? Math.floor(total / 2) : Math.ceil(total / 2);
      padsEnd[i] = total - padsBegin[i]!;
    }
  } else if (autoPad !== "VALID") {
    const pads = getAttrInts(ctx.node, "pads") ?? Array(2 * r).fill(0);
    padsBegin = pads.slice(0, r);
    padsEnd = pads.slice(r);
  }
  return { strides, dilations, padsBegin, padsEnd, kernel };
}

/** output_padding that makes ConvTranspose reproduce the forward input size exactly. */
export function computeOutputPadding(spatial: number[], outSpatial: number[], geo: TConvGeometry): number[] {
  return spatial.map(
    (s, i) => s + geo.padsBegin[i]! + geo.padsEnd[i]! - (outSpatial[i]! - 1) * geo.strides[i]! - (geo.kernel[i]! - 1) * geo.dilations[i]! - 1,
  );
}

/** Gradient of a Conv/pool input through ConvTranspose with weight `w`. */
export function emitInputGrad(
  ctx: TGradContext,
  g: string,
  w: string,
  ws: readonly number[],
  group: number,
  spatial: number[],
  outSpatial: number[],
  geo: TConvGeometry,
): string {
  if (group > 1 && ws[0] === group && ws[1] === 1) {
    const viaConv = emitDepthwiseInputGrad(ctx, g, w, group, spatial, outSpatial, geo);
    if (viaConv) return viaConv;
  }
  return ctx.b.emit1("ConvTranspose", [g, w], {
    strides: { ints: geo.strides },
    dilations: { ints: geo.dilations },
    pads: { ints: [...geo.padsBegin, ...geo.padsEnd] },
    output_padding: { ints: computeOutputPadding(spatial, outSpatial, geo) },
    group: { int: group },
  });
}

/**
 * Depthwise input gradient as a depthwise Conv with the kernel flipped and the pads mirrored; for stride s the
 * output gradient first gets s − 1 zeros after each element (Reshape + Pad + Reshape). onnxruntime's grouped
 * ConvTranspose runs one small GEMM + col2im per image and channel: this measured 3–4× faster on MobileNet layers.
 * Returns undefined when the mirrored pads would be negative (then ConvTranspose is used).
 */
function emitDepthwiseInputGrad(
  ctx: TGradContext,
  g: string,
  w: string,
  group: number,
  spatial: number[],
  outSpatial: number[],
  geo: TConvGeometry,
): string | undefined {
  const b = ctx.b;
  const r = geo.kernel.length;
  const span = geo.kernel.map((k, i) => (k - 1) * geo.dilations[i]!);
  // The zero-stuffed gradient is outSpatial·s long; a forward input of `spatial` needs pads that bring it back.
  const stuffed = outSpatial.map((o, i) => o * geo.strides[i]!);
  const padBegin = span.map((sp, i) => sp - geo.padsBegin[i]!);
  const padEnd = spatial.map((x, i) => x + span[i]! - stuffed[i]! - padBegin[i]!);
  if ([...padBegin, ...padEnd].some((p) => p < 0)) return undefined;
  let gs = g;
  if (geo.strides.some((st) => st > 1)) {
    // g has the forward output's shape: the batch of the node's input, `group` channels (depthwise).
    const n = ctx.shapeOf(ctx.node.input[0]!)[0]!;
    const c = group;
    const interleaved = outSpatial.flatMap((o) => [o, 1]);
    const zerosAfter = geo.strides.flatMap((st) => [0, st - 1]);
    const padded = b.emit1("Pad", [
      b.emit1("Reshape", [g, b.constInt64([n, c, ...interleaved])]),
      b.constInt64([0, 0, ...interleaved.map(() => 0), 0, 0, ...zerosAfter]),
    ]);
    gs = b.emit1("Reshape", [padded, b.constInt64([n, c, ...stuffed])]);
  }
  const axes = Array.from({ length: r }, (_, i) => i + 2);
  const big = -(2 ** 62);
  const flipped = b.emit1("Slice", [w, b.constInt64(axes.map(() => -1)), b.constInt64(axes.map(() => big)), b.constInt64(axes), b.constInt64(axes.map(() => -1))]);
  return b.emit1("Conv", [gs, flipped], {
    group: { int: group },
    dilations: { ints: geo.dilations },
    pads: { ints: [...padBegin, ...padEnd] },
  });
}

function emitWeightGrad(ctx: TGradContext, x: string, g: string, xs: number[], ws: number[], ys: number[], group: number, geo: TConvGeometry): string {
  const [n, c] = xs as [number, number];
  const m = ws[0]!;
  const spatial = xs.slice(2);
  const outSpatial = ys.slice(2);
  const r = spatial.length;
  const cg = c / group;
  const mg = m / group;
  const kTotal = countElements(geo.kernel);
  const p = countElements(outSpatial);
  const b = ctx.b;
  if (cg === 1 && mg === 1) return emitDepthwiseWeightGrad(ctx, x, g, xs, ws, ys, geo);
  if (group === 1) return emitDenseWeightGrad(ctx, x, g, xs, ys, geo);
  const anyPad = [...geo.padsBegin, ...geo.padsEnd].some((v) => v !== 0);
  const xp = anyPad ? b.emit1("Pad", [x, b.constInt64([0, 0, ...geo.padsBegin, 0, 0, ...geo.padsEnd])]) : x;
  const axes = b.constInt64(Array.from({ length: r }, (_, i) => i + 2));
  const steps = b.constInt64(geo.strides);
  const unsqueezeAxis = b.constInt64([2]);
  const patches: string[] = [];
  const isPlain = kTotal === 1 && !anyPad && geo.strides.every((v) => v === 1);
  for (let k = 0; k < kTotal && !isPlain; k++) {
    // Kernel offset k in row-major order over the kernel dims.
    const offset: number[] = [];
    let rest = k;
    for (let i = r - 1; i >= 0; i--) {
      offset[i] = rest % geo.kernel[i]!;
      rest = Math.floor(rest / geo.kernel[i]!);
    }
    const starts = offset.map((o, i) => o * geo.dilations[i]!);
    const ends = starts.map((s, i) => s + (outSpatial[i]! - 1) * geo.strides[i]! + 1);
    const slice = b.emit1("Slice", [xp, b.constInt64(starts), b.constInt64(ends), axes, steps]);
    patches.push(b.emit1("Unsqueeze", [slice, unsqueezeAxis]));
  }
  // A 1×1 stride-1 unpadded Conv reads the input as is: no unfold needed.
  const cols = isPlain ? x : patches.length === 1 ? patches[0]! : b.emit1("Concat", patches, { axis: { int: 2 } });
  // dW^T per sample and group = cols [Cg*K, P] @ dY^T [P, Mg]: only dY (K times smaller than cols) is transposed,
  // which profiling showed matters (transposing cols took over half of a MobileNet step).
  const cols4 = b.emit1("Reshape", [cols, b.constInt64([n, group, cg * kTotal, p])]);
  const gT = b.emit1("Transpose", [b.emit1("Reshape", [g, b.constInt64([n, group, mg, p])])], { perm: { ints: [0, 1, 3, 2] } });
  const perSample = b.emit1("MatMul", [cols4, gT]);
  const summed = b.emit1("ReduceSum", [perSample, b.constInt64([0])], { keepdims: { int: 0 } });
  const dw = b.emit1("Transpose", [summed], { perm: { ints: [0, 2, 1] } });
  return b.emit1("Reshape", [dw, b.constInt64(ws)]);
}

/** Output positions per block on the last spatial axis in the blocked depthwise weight gradient. */
const DEPTHWISE_BLOCK = 16;

/**
 * Depthwise weight gradient: dW[c, δ] = Σ_{n,p} dY[n, c, p] · X_pad[n, c, p·s + δ·d] for every kernel offset δ.
 * onnxruntime has no fast form of this: as a grouped Conv with dY as the kernel (RECIPE) its im2col over a kernel
 * as large as the feature map and one tiny GEMM per group cost 4–7× the forward depthwise Conv, and an unfold of X
 * per kernel offset copies X k² times. Here the last spatial axis is cut into blocks of B outputs, each paired with
 * the B + k − 1 inputs it reads, so one batched MatMul per channel and kernel row,
 *   M[c, t, u] = Σ_{n, rows, blocks} dY_block[c, ·, t] · X_block[c, ·, u]   ([B, K] @ [K, B + k − 1]),
 * holds every product of the row; dW[c, j] is the sum of M's j-th diagonal (u = t + j), read with a Pad + Reshape
 * + Slice. It does (B + k − 1)/k times the MACs but as real GEMMs, and copies X only (B + k − 1)/B times per kernel
 * row: 1.3–2× faster than the grouped Conv on MobileNetV3's 3×3 and 5×5 layers (interleaved, one thread).
 * Needs stride and dilation 1 on the last axis; other layers keep the grouped Conv.
 */
function emitDepthwiseWeightGrad(ctx: TGradContext, x: string, g: string, xs: number[], ws: number[], ys: number[], geo: TConvGeometry): string {
  const r = xs.length - 2;
  const last = r - 1;
  const kLast = geo.kernel[last]!;
  const oLast = ys[r + 1]!;
  const blockSize = Math.min(DEPTHWISE_BLOCK, oLast);
  if (geo.strides[last] !== 1 || geo.dilations[last] !== 1 || kLast - 1 > blockSize) return emitDepthwiseWeightGradByConv(ctx, x, g, xs, ws, ys, geo);
  const b = ctx.b;
  const [n, c] = xs as [number, number];
  const spatial = xs.slice(2);
  const outSpatial = ys.slice(2);
  const blocks = Math.ceil(oLast / blockSize);
  const width = blockSize + kLast - 1;
  const swap = [1, 0, ...spatial.map((_, i) => i + 2)];
  // X channel-first, padded; the last axis padded to (blocks + 1)·B so that it splits into whole blocks.
  const endLast = (blocks + 1) * blockSize - spatial[last]! - geo.padsBegin[last]!;
  const xp = b.emit1("Pad", [
    b.emit1("Transpose", [x], { perm: { ints: swap } }),
    b.constInt64([0, 0, ...geo.padsBegin, 0, 0, ...geo.padsEnd.slice(0, last), endLast]),
  ]);
  const lead = outSpatial.slice(0, last);
  const rowsOut = countElements(lead) * blocks;
  const depth = n * rowsOut;
  // dY channel-first, its last axis zero-padded to whole blocks: [C, B, depth] (depth = N · output rows · blocks).
  const gT = b.emit1("Transpose", [g], { perm: { ints: swap } });
  const gPadded = blocks * blockSize === oLast ? gT : b.emit1("Pad", [gT, b.constInt64([...ys.map(() => 0), ...ys.map((_, i) => (i === r + 1 ? blocks * blockSize - oLast : 0))])]);
  const gBlocks = b.emit1("Transpose", [b.emit1("Reshape", [gPadded, b.constInt64([c, depth, blockSize])])], { perm: { ints: [0, 2, 1] } });
  // X blocks: block q's B inputs plus the first k − 1 of block q + 1.
  const paddedLead = spatial.slice(0, last).map((s, i) => s + geo.padsBegin[i]! + geo.padsEnd[i]!);
  const split = b.emit1("Reshape", [xp, b.constInt64([c, n, ...paddedLead, blocks + 1, blockSize])]);
  const axisQ = r + 1;
  const own = b.emit1("Slice", [split, b.constInt64([0]), b.constInt64([blocks]), b.constInt64([axisQ])]);
  const xBlocks =
    kLast === 1
      ? own
      : b.emit1("Concat", [own, b.emit1("Slice", [split, b.constInt64([1, 0]), b.constInt64([blocks + 1, kLast - 1]), b.constInt64([axisQ, axisQ + 1])])], { axis: { int: axisQ + 1 } });
  const leadKernel = geo.kernel.slice(0, last);
  const rows = countElements(leadKernel);
  const rowShape = b.constInt64([c, depth, width]);
  const products: string[] = [];
  for (let row = 0; row < rows; row++) {
    let rowX = xBlocks;
    if (last > 0) {
      // Kernel row `row` in row-major order over the leading kernel dims: the strided window it reads.
      const offset: number[] = [];
      let rest = row;
      for (let i = last - 1; i >= 0; i--) {
        offset[i] = rest % leadKernel[i]!;
        rest = Math.floor(rest / leadKernel[i]!);
      }
      const starts = offset.map((o, i) => o * geo.dilations[i]!);
      const ends = starts.map((st, i) => st + (lead[i]! - 1) * geo.strides[i]! + 1);
      const axes = lead.map((_, i) => i + 2);
      rowX = b.emit1("Slice", [xBlocks, b.constInt64(starts), b.constInt64(ends), b.constInt64(axes), b.constInt64(geo.strides.slice(0, last))]);
    }
    products.push(b.emit1("MatMul", [gBlocks, b.emit1("Reshape", [rowX, rowShape])]));
  }
  // [C, rows·B, B + k − 1] → diagonals: flat index t·(B + k − 1) + t + j = t·(B + k) + j after padding by B.
  const stacked = products.length === 1 ? products[0]! : b.emit1("Concat", products, { axis: { int: 1 } });
  const flat = b.emit1("Pad", [b.emit1("Reshape", [stacked, b.constInt64([c, rows, blockSize * width])]), b.constInt64([0, 0, 0, 0, 0, blockSize])]);
  const diagonals = b.emit1("Slice", [b.emit1("Reshape", [flat, b.constInt64([c, rows, blockSize, width + 1])]), b.constInt64([0]), b.constInt64([kLast]), b.constInt64([3])]);
  return b.emit1("Reshape", [b.emit1("ReduceSum", [diagonals, b.constInt64([2])], { keepdims: { int: 0 } }), b.constInt64(ws)]);
}

/**
 * Depthwise weight gradient as one grouped Conv (RECIPE): channels and batch merge into N·C groups, the output
 * gradient is the kernel, forward strides become dilations and forward dilations strides. The result is
 * k + ((H + pads − k) mod s) wide for stride > 1, so it is sliced to the kernel size.
 */
function emitDepthwiseWeightGradByConv(ctx: TGradContext, x: string, g: string, xs: number[], ws: number[], ys: number[], geo: TConvGeometry): string {
  const b = ctx.b;
  const [n, c] = xs as [number, number];
  const spatial = xs.slice(2);
  const outSpatial = ys.slice(2);
  const r = spatial.length;
  const swap = [1, 0, ...spatial.map((_, i) => i + 2)];
  const xT = b.emit1("Reshape", [b.emit1("Transpose", [x], { perm: { ints: swap } }), b.constInt64([1, c * n, ...spatial])]);
  const gT = b.emit1("Reshape", [b.emit1("Transpose", [g], { perm: { ints: swap } }), b.constInt64([c * n, 1, ...outSpatial])]);
  const conv = b.emit1("Conv", [xT, gT], {
    group: { int: c * n },
    strides: { ints: geo.dilations },
    dilations: { ints: geo.strides },
    pads: { ints: [...geo.padsBegin, ...geo.padsEnd] },
  });
  const full = spatial.map((s, i) => Math.floor((s + geo.padsBegin[i]! + geo.padsEnd[i]! - (outSpatial[i]! - 1) * geo.strides[i]! - 1) / geo.dilations[i]!) + 1);
  const perSample = b.emit1("Reshape", [conv, b.constInt64([c, n, ...full])]);
  const summed = b.emit1("ReduceSum", [perSample, b.constInt64([1])], { keepdims: { int: 0 } });
  const axes = Array.from({ length: r }, (_, i) => i + 1);
  const sliced = full.every((f, i) => f === geo.kernel[i])
    ? summed
    : b.emit1("Slice", [summed, b.constInt64(axes.map(() => 0)), b.constInt64(geo.kernel), b.constInt64(axes)]);
  return b.emit1("Reshape", [sliced, b.constInt64(ws)]);
}

/**
 * Ungrouped weight gradient as one Conv with batch and channels swapped (RECIPE): X^T [C, N, ...S] convolved with
 * dY^T [M, N, ...O] as the kernel gives [C, M, ...K'], K' ≥ K. Five nodes instead of an unfold's ~3K+8, which
 * dominates small models' step time (every node costs a fixed overhead).
 */
function emitDenseWeightGrad(ctx: TGradContext, x: string, g: string, xs: number[], ys: number[], geo: TConvGeometry): string {
  const b = ctx.b;
  if (geo.kernel.every((k) => k === 1) && geo.strides.every((s) => s === 1) && [...geo.padsBegin, ...geo.padsEnd].every((p) => p === 0)) {
    return emitPointwiseWeightGrad(ctx, x, g, xs, ys);
  }
  const spatial = xs.slice(2);
  const outSpatial = ys.slice(2);
  const r = spatial.length;
  const swap = [1, 0, ...spatial.map((_, i) => i + 2)];
  const conv = b.emit1("Conv", [b.emit1("Transpose", [x], { perm: { ints: swap } }), b.emit1("Transpose", [g], { perm: { ints: swap } })], {
    strides: { ints: geo.dilations },
    dilations: { ints: geo.strides },
    pads: { ints: [...geo.padsBegin, ...geo.padsEnd] },
  });
  const full = spatial.map((s, i) => Math.floor((s + geo.padsBegin[i]! + geo.padsEnd[i]! - (outSpatial[i]! - 1) * geo.strides[i]! - 1) / geo.dilations[i]!) + 1);
  const axes = Array.from({ length: r }, (_, i) => i + 2);
  const sliced = full.every((f, i) => f === geo.kernel[i])
    ? conv
    : b.emit1("Slice", [conv, b.constInt64(axes.map(() => 0)), b.constInt64(geo.kernel), b.constInt64(axes)]);
  return b.emit1("Transpose", [sliced], { perm: { ints: swap } });
}

/**
 * 1×1 stride-1 weight gradient: dW [M, C] = Σ_n dY_n [M, P] · X_n^T [P, C], one batched MatMul over the batch and a
 * ReduceSum. Only the operand with fewer channels is transposed per sample (X, or dY with the small [C, M] result
 * transposed back); moving both to channel-first for one Gemm profiled ~1.5× slower (two full transposes). The
 * Conv-with-swapped-axes form runs as C matrix-vector products and profiled 5–10× slower on MobileNet's pointwise
 * layers.
 */
function emitPointwiseWeightGrad(ctx: TGradContext, x: string, g: string, xs: number[], ys: number[]): string {
  const b = ctx.b;
  const [n, c] = xs as [number, number];
  const m = ys[1]!;
  const p = countElements(xs.slice(2));
  const flat = (v: string, ch: number) => b.emit1("Reshape", [v, b.constInt64([n, ch, p])]);
  const swapLast = (v: string) => b.emit1("Transpose", [v], { perm: { ints: [0, 2, 1] } });
  const sumBatch = (v: string) => (n === 1 ? b.emit1("Squeeze", [v, b.constInt64([0])]) : b.emit1("ReduceSum", [v, b.constInt64([0])], { keepdims: { int: 0 } }));
  const dw =
    c <= m
      ? sumBatch(b.emit1("MatMul", [flat(g, m), swapLast(flat(x, c))]))
      : b.emit1("Transpose", [sumBatch(b.emit1("MatMul", [flat(x, c), swapLast(flat(g, m))]))], { perm: { ints: [1, 0] } });
  return b.emit1("Reshape", [dw, b.constInt64([m, c, ...xs.slice(2).map(() => 1)])]);
}

const CONV: TGradRule = {
  backward: (ctx) => {
    const [x, w, bias] = ctx.node.input as [string, string, string | undefined];
    const g = ctx.gradOf(0)!;
    const xs = ctx.shapeOf(x);
    const ws = ctx.shapeOf(w);
    const ys = ctx.shapeOf(ctx.node.output[0]!);
    const group = getAttrInt(ctx.node, "group", 1);
    const geo = readConvGeometry(ctx, xs.slice(2), ws.slice(2));
    return [
      ctx.needsGrad(0) ? emitInputGrad(ctx, g, w, ws, group, xs.slice(2), ys.slice(2), geo) : undefined,
      ctx.needsGrad(1) ? emitWeightGrad(ctx, x, g, xs, ws, ys, group, geo) : undefined,
      bias && ctx.needsGrad(2)
        ? ctx.b.emit1("ReduceSum", [g, ctx.b.constInt64([0, ...ys.slice(2).map((_, i) => i + 2)])], { keepdims: { int: 0 } })
        : undefined,
    ];
  },
};

export const CONV_RULES: [string, TGradRule][] = [["Conv", CONV]];
