/**
 * The channel dependency graph (Torch-Pruning's DependencyGraph, on ONNX): walks the graph in topological order and
 * tracks, for every value, which "channel groups" its channel axis is made of. A group is a set of coupled channels
 * that must be pruned together: a Conv's outputs plus everything they flow into through BatchNormalization,
 * activations, pooling, Resize/Pad, depthwise Convs, residual Add/Mul (all branches share channels), SE blocks and
 * Concat (segments at offsets). Each op's behaviour lives in one table entry; ops that read channels in a way this
 * file does not understand block the groups involved, so they are left alone and named in the report.
 *
 * The analysis records edits (weight slices, group counts, shape constants) that `applyChannelSelection` runs once
 * the kept channels of every group are chosen.
 */
import { DTYPE, createTensor, readTensorValues } from "../../onnx/dtypes";
import { OnnxGraph, getAttrInt, getAttrInts, listOuterScopeInputs, listSubgraphs, setAttribute, sortNodesTopologically } from "../../onnx/graph";
import { createAttribute, type TGraphProto, type TNodeProto } from "../../onnx/onnx-proto";
import type { TValueShapes } from "../../evaluate/count-macs";
import { nodeKey, readWeight, sliceAxis, writeWeight, type TWeight } from "./prune-utils";

/** A run of channels of one group inside a value's channel axis. */
export type TSegment = { group: number; size: number };

/** How a value's channel axis is made: segments in order; `inner` elements per channel (Flatten/Reshape into Gemm). */
export type TLayout = { axis: number; rank: number; segments: TSegment[]; inner: number };

/** A weight whose slices along `axis` are a group's channels (used by importance criteria). */
export type TGroupWeight = { node: TNodeProto; weight: TWeight; axis: number };

export type TChannelGroup = {
  id: number;
  size: number;
  /** Layers whose outputs are this group's channels (Conv/ConvTranspose/Gemm/MatMul). */
  producers: TGroupWeight[];
  /** Depthwise Convs whose channels are coupled to the group. */
  coupled: TGroupWeight[];
  /** BatchNormalization scales (gamma) over the group's channels, for the BN-scale criterion. */
  batchNormScales: { node: TNodeProto; gamma: Float32Array }[];
  /** Why the group cannot be pruned; empty when it can. */
  blockedReasons: string[];
  /**
   * The channels form this many equal contiguous blocks that must keep equally many channels (the input or output
   * channels of a grouped Conv: every Conv group must stay the same size). 1 when unconstrained.
   */
  blocks: number;
};

/** `zero` is set on consumer-side edits: the equivalent of removing channels, by zeroing the weights that read them. */
type TKeptByGroup = ReadonlyMap<number, readonly number[]>;
type TEdit = { layout: TLayout; apply: (kept: number[], keptByGroup: TKeptByGroup) => void; zero?: (kept: number[]) => void };

export type TChannelAnalysis = {
  graph: OnnxGraph;
  /** Root groups (after merging coupled ones), in creation order. */
  groups: TChannelGroup[];
  /** Root id of a group id. */
  find: (id: number) => number;
  layouts: Map<string, TLayout>;
  edits: TEdit[];
};

export type TAnalyzeChannelsOptions = {
  shapes: TValueShapes;
  /** Producer node names whose output channels must not be pruned. */
  nodesToExclude?: readonly string[];
};

type TContext = {
  graph: OnnxGraph;
  shapes: TValueShapes;
  excluded: ReadonlySet<string>;
  layoutOf: (name: string) => TLayout | undefined;
  setLayout: (name: string, layout: TLayout) => void;
  block: (layout: TLayout, reason: string) => void;
  edit: (layout: TLayout, apply: (kept: number[], keptByGroup: TKeptByGroup) => void, zero?: (kept: number[]) => void) => void;
  createGroup: (size: number, init?: Partial<TChannelGroup>) => number;
  union: (a: TLayout, b: TLayout, where: string) => boolean;
  group: (id: number) => TChannelGroup;
  find: (id: number) => number;
};

type TOpHandler = (node: TNodeProto, ctx: TContext) => void;

const UNARY_OPS = [
  "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu", "Softplus", "Gelu",
  "Mish", "Erf", "Neg", "Abs", "Exp", "Sqrt", "Reciprocal", "Identity", "Dropout", "Cast", "Floor", "Ceil", "Round",
];
const ELEMENTWISE_OPS = ["Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "Pow", "PRelu"];
const POOL_OPS = ["GlobalAveragePool", "GlobalMaxPool", "MaxPool", "AveragePool", "LpPool"];

function describe(node: TNodeProto): string {
  return `${node.opType} "${nodeKey(node)}"`;
}

function singleSegmentLayout(group: number, size: number, axis: number, rank: number): TLayout {
  return { axis, rank, segments: [{ group, size }], inner: 1 };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Adds a balanced-blocks constraint to a group (the least common multiple of all constraints must divide its size). */
function requireBlocks(g: TChannelGroup, blocks: number, where: string): void {
  const lcm = (g.blocks * blocks) / gcd(g.blocks, blocks);
  if (g.size % lcm !== 0) {
    const reason = `${where} splits its channels into groups that do not line up with another grouped Conv`;
    if (!g.blockedReasons.includes(reason)) g.blockedReasons.push(reason);
    return;
  }
  g.blocks = lcm;
}

/** Blocks every tracked input of a node with a reason naming it. */
function blockInputs(node: TNodeProto, ctx: TContext, why: string): void {
  for (const i of node.input) {
    const l = ctx.layoutOf(i);
    if (l) ctx.block(l, `${describe(node)} ${why}`);
  }
}

function handleUnary(node: TNodeProto, ctx: TContext): void {
  const l = ctx.layoutOf(node.input[0]);
  for (const extra of node.input.slice(1)) {
    const le = ctx.layoutOf(extra);
    if (le) ctx.block(le, `${describe(node)} uses channels as a parameter`);
  }
  if (l && node.output[0]) ctx.setLayout(node.output[0], l);
}

/** Elementwise ops with broadcasting: tracked operands are merged; per-channel constants are sliced. */
function handleElementwise(node: TNodeProto, ctx: TContext): void {
  const out = node.output[0];
  const outRank = ctx.shapes.get(out)?.length;
  const tracked = node.input.map((i) => ctx.layoutOf(i));
  const first = tracked.find((l) => l !== undefined);
  if (!first || !out) return;
  if (outRank === undefined || outRank !== first.rank) {
    ctx.block(first, `${describe(node)} changes the rank of a channel tensor`);
    return;
  }
  let ok = true;
  for (const l of tracked) if (l && l !== first && !ctx.union(first, l, describe(node))) ok = false;
  if (!ok) return;
  node.input.forEach((name, idx) => {
    if (tracked[idx] || name === "") return;
    const c = ctx.graph.findConstant(name);
    const dims = c?.dims ?? ctx.shapes.get(name);
    if (!dims) {
      ctx.block(first, `${describe(node)} combines channels with a value of unknown shape`);
      return;
    }
    const pos = first.axis - (outRank - dims.length);
    if (pos < 0 || dims[pos] === 1) return;
    if (!c || c.dataType !== DTYPE.FLOAT) {
      ctx.block(first, `${describe(node)} combines channels with a non-constant per-channel value`);
      return;
    }
    ctx.edit(first, (kept) => {
      const w = readWeight(ctx.graph, node, idx)!;
      const s = sliceAxis(w.values, w.dims, pos, kept);
      writeWeight(ctx.graph, node, idx, s.dims, s.values);
    });
  });
  ctx.setLayout(out, first);
}

function handlePool(node: TNodeProto, ctx: TContext): void {
  const l = ctx.layoutOf(node.input[0]);
  if (!l) return;
  if (node.output[1] && ctx.graph.getConsumers(node.output[1]).length > 0) {
    ctx.block(l, `${describe(node)} returns indices over channels`);
    return;
  }
  ctx.setLayout(node.output[0], l);
}

function handleBatchNorm(node: TNodeProto, ctx: TContext): void {
  const l = ctx.layoutOf(node.input[0]);
  if (!l) return;
  const params = [1, 2, 3, 4].filter((i) => node.input[i]);
  if (params.some((i) => !readWeight(ctx.graph, node, i)) || l.axis !== 1) {
    ctx.block(l, `${describe(node)} has non-constant parameters`);
    return;
  }
  if (l.segments.length === 1) {
    ctx.group(l.segments[0].group).batchNormScales.push({ node, gamma: readWeight(ctx.graph, node, 1)!.values });
  }
  ctx.edit(l, (kept) => {
    for (const i of params) {
      const w = readWeight(ctx.graph, node, i)!;
      const s = sliceAxis(w.values, w.dims, 0, kept);
      writeWeight(ctx.graph, node, i, s.dims, s.values);
    }
  });
  ctx.setLayout(node.output[0], l);
}

function sliceInputEdit(ctx: TContext, node: TNodeProto, layout: TLayout, inputIndex: number, axis: number, consumer = false): void {
  ctx.edit(
    layout,
    (kept) => {
      const w = readWeight(ctx.graph, node, inputIndex)!;
      const s = sliceAxis(w.values, w.dims, axis, kept);
      writeWeight(ctx.graph, node, inputIndex, s.dims, s.values);
    },
    consumer
      ? (kept) => {
          const w = readWeight(ctx.graph, node, inputIndex)!;
          const keep = new Set(kept);
          const inner = w.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
          for (let i = 0; i < w.values.length; i++) if (!keep.has(Math.floor(i / inner) % w.dims[axis])) w.values[i] = 0;
          writeWeight(ctx.graph, node, inputIndex, w.dims, w.values);
        }
      : undefined,
  );
}

/** Registers a new group produced by `node` (weight slices along `axis`; optional bias slices along its last axis). */
function produce(node: TNodeProto, ctx: TContext, weight: TWeight, axis: number, outAxis: number, biasIndex?: number): void {
  const out = node.output[0];
  const rank = ctx.shapes.get(out)?.length ?? 4;
  const size = weight.dims[axis];
  const id = ctx.createGroup(size, { producers: [{ node, weight, axis }] });
  const layout = singleSegmentLayout(id, size, outAxis, rank);
  if (ctx.excluded.has(node.name ?? "")) ctx.block(layout, `${describe(node)} is excluded by the options`);
  sliceInputEdit(ctx, node, layout, 1, axis);
  if (biasIndex !== undefined && node.input[biasIndex]) {
    const b = readWeight(ctx.graph, node, biasIndex);
    if (!b) ctx.block(layout, `${describe(node)} has a non-constant bias`);
    else if (b.dims.length > 0 && b.dims[b.dims.length - 1] === size) sliceInputEdit(ctx, node, layout, biasIndex, b.dims.length - 1);
    else if (b.dims.some((d) => d !== 1)) ctx.block(layout, `${describe(node)} has a bias this pass cannot slice`);
  }
  ctx.setLayout(out, layout);
}

function handleConv(node: TNodeProto, ctx: TContext): void {
  const inLayout = ctx.layoutOf(node.input[0]);
  const w = readWeight(ctx.graph, node, 1);
  const group = getAttrInt(node, "group", 1);
  if (!w || (node.input[2] && !readWeight(ctx.graph, node, 2))) {
    if (inLayout) ctx.block(inLayout, `${describe(node)} has non-constant weights`);
    return;
  }
  if (inLayout && (inLayout.axis !== 1 || inLayout.inner !== 1)) {
    ctx.block(inLayout, `${describe(node)} reads channels on an unexpected axis`);
    return;
  }
  const cin = w.dims[1] * group;
  if (group === 1) {
    if (inLayout) sliceInputEdit(ctx, node, inLayout, 1, 1, true);
    produce(node, ctx, w, 0, 1, 2);
    return;
  }
  if (group === cin && w.dims[0] === group && w.dims[1] === 1) {
    // Depthwise: each output channel is one input channel, so the output carries the input's groups.
    if (!inLayout) return;
    if (inLayout.segments.length === 1) ctx.group(inLayout.segments[0].group).coupled.push({ node, weight: w, axis: 0 });
    ctx.edit(inLayout, (kept) => {
      for (const i of [1, 2]) {
        if (!node.input[i]) continue;
        const cur = readWeight(ctx.graph, node, i)!;
        const s = sliceAxis(cur.values, cur.dims, 0, kept);
        writeWeight(ctx.graph, node, i, s.dims, s.values);
      }
      setAttribute(node, createAttribute("group", kept.length, { asInt: true }));
    });
    ctx.setLayout(node.output[0], inLayout);
    return;
  }
  if (cin % group !== 0 || w.dims[0] % group !== 0) {
    if (inLayout) ctx.block(inLayout, `${describe(node)} is a grouped Conv (group ${group}) with uneven groups`);
    return;
  }
  // Grouped Conv: the group count stays; every Conv group keeps equally many input and output channels, so the
  // input and output channel groups are constrained to balanced blocks and each Conv group shrinks alike.
  if (inLayout) {
    if (inLayout.segments.length !== 1) {
      ctx.block(inLayout, `${describe(node)} is a grouped Conv over channels of several layers`);
    } else {
      requireBlocks(ctx.group(inLayout.segments[0].group), group, describe(node));
      const localKept = (kept: number[], cinG: number) =>
        Array.from({ length: group }, (_, j) => kept.filter((c) => c >= j * cinG && c < (j + 1) * cinG).map((c) => c - j * cinG));
      ctx.edit(
        inLayout,
        (kept) => {
          const cur = readWeight(ctx.graph, node, 1)!;
          const perGroup = localKept(kept, cur.dims[1]);
          const coutG = cur.dims[0] / group;
          const inner = cur.dims.slice(2).reduce((a, b) => a * b, 1);
          const newCinG = perGroup[0].length;
          const out = new Float32Array(cur.dims[0] * newCinG * inner);
          for (let o = 0; o < cur.dims[0]; o++) {
            perGroup[Math.floor(o / coutG)].forEach((c, i) => {
              out.set(cur.values.subarray((o * cur.dims[1] + c) * inner, (o * cur.dims[1] + c + 1) * inner), (o * newCinG + i) * inner);
            });
          }
          writeWeight(ctx.graph, node, 1, [cur.dims[0], newCinG, ...cur.dims.slice(2)], out);
        },
        (kept) => {
          const cur = readWeight(ctx.graph, node, 1)!;
          const perGroup = localKept(kept, cur.dims[1]).map((k) => new Set(k));
          const coutG = cur.dims[0] / group;
          const inner = cur.dims.slice(2).reduce((a, b) => a * b, 1);
          for (let i = 0; i < cur.values.length; i++) {
            const o = Math.floor(i / (cur.dims[1] * inner));
            const c = Math.floor(i / inner) % cur.dims[1];
            if (!perGroup[Math.floor(o / coutG)].has(c)) cur.values[i] = 0;
          }
          writeWeight(ctx.graph, node, 1, cur.dims, cur.values);
        },
      );
    }
  }
  produce(node, ctx, w, 0, 1, 2);
  const outLayout = ctx.layoutOf(node.output[0]);
  if (outLayout) requireBlocks(ctx.group(outLayout.segments[0].group), group, describe(node));
}

function handleConvTranspose(node: TNodeProto, ctx: TContext): void {
  const inLayout = ctx.layoutOf(node.input[0]);
  const w = readWeight(ctx.graph, node, 1);
  const group = getAttrInt(node, "group", 1);
  if (!w || group !== 1 || (node.input[2] && !readWeight(ctx.graph, node, 2)) || getAttrInts(node, "output_shape")) {
    if (inLayout) ctx.block(inLayout, `${describe(node)} has non-constant weights, groups or an output_shape`);
    return;
  }
  if (inLayout) {
    if (inLayout.axis !== 1 || inLayout.inner !== 1) ctx.block(inLayout, `${describe(node)} reads channels on an unexpected axis`);
    else sliceInputEdit(ctx, node, inLayout, 1, 0, true);
  }
  produce(node, ctx, w, 1, 1, 2);
}

function handleGemm(node: TNodeProto, ctx: TContext): void {
  const a = ctx.layoutOf(node.input[0]);
  const w = readWeight(ctx.graph, node, 1);
  const transB = getAttrInt(node, "transB", 0) === 1;
  if (!w || getAttrInt(node, "transA", 0) === 1 || ctx.layoutOf(node.input[1])) {
    blockInputs(node, ctx, "reads channels in a layout this pass does not handle");
    return;
  }
  if (a) {
    if (a.axis !== a.rank - 1) ctx.block(a, `${describe(node)} reads channels on an unexpected axis`);
    else sliceInputEdit(ctx, node, a, 1, transB ? 1 : 0, true);
  }
  produce(node, ctx, w, transB ? 0 : 1, 1, 2);
}

function handleMatMul(node: TNodeProto, ctx: TContext): void {
  const a = ctx.layoutOf(node.input[0]);
  const w = readWeight(ctx.graph, node, 1);
  if (!w || w.dims.length !== 2 || ctx.layoutOf(node.input[1])) {
    blockInputs(node, ctx, "multiplies channels by a non-constant or batched matrix");
    return;
  }
  if (a) {
    if (a.axis !== a.rank - 1) ctx.block(a, `${describe(node)} reads channels on an unexpected axis`);
    else sliceInputEdit(ctx, node, a, 1, 0, true);
  }
  const rank = ctx.shapes.get(node.output[0])?.length ?? 2;
  produce(node, ctx, w, 1, rank - 1);
}

/** Flatten (axis 1) or a Reshape to [N, -1]: channels become runs of `inner` features, in order. */
function handleFlatten(node: TNodeProto, ctx: TContext): void {
  const l = ctx.layoutOf(node.input[0]);
  if (!l) return;
  const inShape = ctx.shapes.get(node.input[0]);
  const outShape = ctx.shapes.get(node.output[0]);
  const flattensChannels =
    l.axis === 1 && inShape && outShape && outShape.length === 2 && outShape[0] === inShape[0] &&
    outShape[1] === inShape.slice(1).reduce((x, y) => x * y, 1);
  if (!flattensChannels || (node.opType === "Flatten" && getAttrInt(node, "axis", 1) !== 1)) {
    ctx.block(l, `${describe(node)} reshapes channels in a way this pass does not follow`);
    return;
  }
  if (node.opType === "Reshape" && !planReshapeTarget(node, ctx, l)) return;
  const spatial = inShape!.slice(2).reduce((x, y) => x * y, 1);
  ctx.setLayout(node.output[0], { axis: 1, rank: 2, segments: l.segments, inner: l.inner * spatial });
}

/** The Reshape target must not hard-code the flattened size; when it does, it is rewritten with the kept size. */
function planReshapeTarget(node: TNodeProto, ctx: TContext, l: TLayout): boolean {
  let name = node.input[1];
  let producer = ctx.graph.getProducer(name);
  // PaddlePaddle exports compute [batch, K] at run time: Concat(Slice(Shape(x)), Cast(constant)).
  if (producer?.opType === "Concat" && producer.input.length === 2) {
    name = producer.input[1];
    producer = ctx.graph.getProducer(name);
    while (producer?.opType === "Cast") {
      name = producer.input[0];
      producer = ctx.graph.getProducer(name);
    }
    const c = ctx.graph.findConstant(name);
    if (!c || (c.dims.length > 1 || (c.dims[0] ?? 1) !== 1)) {
      ctx.block(l, `${describe(node)} has a computed target shape`);
      return false;
    }
    const v = Number(readTensorValues(c)[0]);
    if (v === -1) return true;
    const holder = ctx.graph.getConsumers(name).find((n) => n.input.includes(name))!;
    ctx.edit(l, (kept) => {
      const t = createTensor(ctx.graph.createUniqueName(`${name}_pruned`), c.dataType!, [...c.dims], c.dataType === DTYPE.INT64 ? [BigInt(kept.length)] : [kept.length]);
      ctx.graph.setInitializer(t);
      holder.input = holder.input.map((i) => (i === name ? t.name! : i));
      ctx.graph.invalidate();
    });
    return true;
  }
  const c = ctx.graph.findConstant(name);
  if (!c) {
    ctx.block(l, `${describe(node)} has a computed target shape`);
    return false;
  }
  const target = Array.from(readTensorValues(c) as BigInt64Array, Number);
  if (target.length !== 2) return false;
  if (target[1] === -1) return true;
  ctx.edit(l, (kept) => {
    const t = createTensor(ctx.graph.createUniqueName(`${name}_pruned`), DTYPE.INT64, [2], [BigInt(target[0]), BigInt(kept.length)]);
    ctx.graph.setInitializer(t);
    node.input[1] = t.name!;
    ctx.graph.invalidate();
  });
  return true;
}

function handleConcat(node: TNodeProto, ctx: TContext): void {
  const layouts = node.input.map((i) => ctx.layoutOf(i));
  const first = layouts.find((l) => l !== undefined);
  if (!first) return;
  const rank = first.rank;
  let axis = getAttrInt(node, "axis", 1);
  if (axis < 0) axis += rank;
  if (axis !== first.axis) {
    // Concatenating along another axis: channels must agree across inputs, like an elementwise op.
    handleElementwise(node, ctx);
    return;
  }
  const segments: TSegment[] = [];
  for (let i = 0; i < node.input.length; i++) {
    const l = layouts[i];
    if (l && (l.axis !== axis || l.inner !== 1)) {
      ctx.block(l, `${describe(node)} concatenates channels on an unexpected axis`);
      return;
    }
    if (l) segments.push(...l.segments);
    else {
      // An untracked input keeps its channels: a fixed segment that is never pruned.
      const size = ctx.shapes.get(node.input[i])?.[axis] ?? ctx.graph.findConstant(node.input[i])?.dims[axis];
      if (size === undefined) {
        for (const t of layouts) if (t) ctx.block(t, `${describe(node)} concatenates a value of unknown shape`);
        return;
      }
      const id = ctx.createGroup(size);
      ctx.group(id).blockedReasons.push(`input "${node.input[i]}" of ${describe(node)} is not produced by a prunable layer`);
      segments.push({ group: id, size });
    }
  }
  ctx.setLayout(node.output[0], { axis, rank, segments, inner: 1 });
}

function handleResize(node: TNodeProto, ctx: TContext): void {
  const l = ctx.layoutOf(node.input[0]);
  if (!l) return;
  // Resize(X, roi, scales, sizes) since opset 11; Upsample/Resize-10 take (X, scales).
  const scalesName = node.opType === "Upsample" || node.input.length === 2 ? node.input[1] : node.input[2];
  const sizesName = node.opType === "Resize" ? node.input[3] : undefined;
  if (sizesName) {
    const sizes = ctx.graph.findConstant(sizesName);
    if (!sizes) {
      ctx.block(l, `${describe(node)} has computed output sizes`);
      return;
    }
    const values = Array.from(readTensorValues(sizes) as BigInt64Array, Number);
    ctx.edit(l, (kept) => {
      values[l.axis] = kept.length;
      const t = createTensor(ctx.graph.createUniqueName(`${sizesName}_pruned`), DTYPE.INT64, [values.length], values.map(BigInt));
      ctx.graph.setInitializer(t);
      node.input[3] = t.name!;
      ctx.graph.invalidate();
    });
  } else if (scalesName) {
    const scales = ctx.graph.findConstant(scalesName);
    if (!scales || Number(readTensorValues(scales)[l.axis]) !== 1) {
      ctx.block(l, `${describe(node)} may scale the channel axis`);
      return;
    }
  }
  ctx.setLayout(node.output[0], l);
}

function handlePad(node: TNodeProto, ctx: TContext): void {
  const l = ctx.layoutOf(node.input[0]);
  if (!l) return;
  let pads = getAttrInts(node, "pads");
  if (!pads && node.input[1]) {
    const c = ctx.graph.findConstant(node.input[1]);
    pads = c ? Array.from(readTensorValues(c) as BigInt64Array, Number) : undefined;
  }
  if (!pads || node.input[3] || pads[l.axis] !== 0 || pads[l.axis + l.rank] !== 0) {
    ctx.block(l, `${describe(node)} may pad the channel axis`);
    return;
  }
  ctx.setLayout(node.output[0], l);
}

/** Split on the channel axis is followed when its boundaries fall between segments (e.g. a Concat split back). */
function handleSplit(node: TNodeProto, ctx: TContext): void {
  const l = ctx.layoutOf(node.input[0]);
  if (!l) return;
  let axis = getAttrInt(node, "axis", 0);
  if (axis < 0) axis += l.rank;
  if (axis !== l.axis) {
    for (const o of node.output) if (o) ctx.setLayout(o, l);
    return;
  }
  const sizes = node.output.map((o) => ctx.shapes.get(o)?.[axis]);
  const splitConst = node.input[1] ? ctx.graph.findConstant(node.input[1]) : undefined;
  if (sizes.some((v) => v === undefined) || l.inner !== 1 || (node.input[1] && !splitConst)) {
    ctx.block(l, `${describe(node)} splits channels with sizes this pass cannot follow`);
    return;
  }
  const parts: TSegment[][] = [];
  let seg = 0;
  for (const size of sizes as number[]) {
    const part: TSegment[] = [];
    let covered = 0;
    while (covered < size && seg < l.segments.length) {
      part.push(l.segments[seg]);
      covered += l.segments[seg++].size;
    }
    if (covered !== size) {
      ctx.block(l, `${describe(node)} splits inside a group of coupled channels`);
      return;
    }
    parts.push(part);
  }
  parts.forEach((segments, i) => ctx.setLayout(node.output[i], { ...l, segments }));
  ctx.edit(l, (_kept, keptByGroup) => {
    const keptPerPart = parts.map((segments) => expandKeptIndices({ ...l, segments }, keptByGroup, ctx.find).length);
    if (node.input[1]) {
      const t = createTensor(ctx.graph.createUniqueName(`${node.input[1]}_pruned`), DTYPE.INT64, [keptPerPart.length], keptPerPart.map(BigInt));
      ctx.graph.setInitializer(t);
      node.input[1] = t.name!;
      ctx.graph.invalidate();
    } else {
      setAttribute(node, createAttribute("split", keptPerPart, { asInt: true }));
    }
  });
}

/** Shape only reads dims: its batch/spatial uses are safe; a Reshape target built from it is checked there. */
function handleShape(): void {}

const OP_HANDLERS: ReadonlyMap<string, TOpHandler> = new Map<string, TOpHandler>([
  ...UNARY_OPS.map((op) => [op, handleUnary] as [string, TOpHandler]),
  ...ELEMENTWISE_OPS.map((op) => [op, handleElementwise] as [string, TOpHandler]),
  ...POOL_OPS.map((op) => [op, handlePool] as [string, TOpHandler]),
  ["BatchNormalization", handleBatchNorm],
  ["Conv", handleConv],
  ["ConvTranspose", handleConvTranspose],
  ["Gemm", handleGemm],
  ["MatMul", handleMatMul],
  ["Flatten", handleFlatten],
  ["Reshape", handleFlatten],
  ["Concat", handleConcat],
  ["Resize", handleResize],
  ["Upsample", handleResize],
  ["Pad", handlePad],
  ["Split", handleSplit],
  ["Shape", handleShape],
]);

/** Default for any op not in the table: every tracked input is blocked. */
function handleUnknown(node: TNodeProto, ctx: TContext): void {
  blockInputs(node, ctx, "reads channels and is not supported by structured pruning");
}

/**
 * Builds the dependency graph of a model's main graph (sorted topologically in place). `shapes` must hold observed
 * dims of the values (see observeValueShapes).
 */
export function analyzeChannels(graphProto: TGraphProto, opts: TAnalyzeChannelsOptions): TChannelAnalysis {
  graphProto.node = sortNodesTopologically(graphProto);
  const graph = new OnnxGraph(graphProto);
  const parent: number[] = [];
  const groups: TChannelGroup[] = [];
  const layouts = new Map<string, TLayout>();
  const edits: TEdit[] = [];
  const find = (id: number): number => {
    while (parent[id] !== id) {
      parent[id] = parent[parent[id]];
      id = parent[id];
    }
    return id;
  };
  const ctx: TContext = {
    graph,
    shapes: opts.shapes,
    excluded: new Set(opts.nodesToExclude ?? []),
    layoutOf: (name) => layouts.get(name),
    setLayout: (name, layout) => {
      if (name) layouts.set(name, layout);
    },
    block: (layout, reason) => {
      for (const s of layout.segments) {
        const g = groups[find(s.group)];
        if (!g.blockedReasons.includes(reason)) g.blockedReasons.push(reason);
      }
    },
    edit: (layout, apply, zero) => edits.push({ layout, apply, zero }),
    createGroup: (size, init = {}) => {
      const id = groups.length;
      parent.push(id);
      groups.push({ id, size, producers: [], coupled: [], batchNormScales: [], blockedReasons: [], blocks: 1, ...init });
      return id;
    },
    union: (a, b, where) => {
      const sameShape =
        a.axis === b.axis && a.inner === b.inner && a.segments.length === b.segments.length &&
        a.segments.every((s, i) => s.size === b.segments[i].size);
      if (!sameShape) {
        ctx.block(a, `${where} combines channel tensors of different layouts`);
        ctx.block(b, `${where} combines channel tensors of different layouts`);
        return false;
      }
      a.segments.forEach((s, i) => {
        const ra = find(s.group);
        const rb = find(b.segments[i].group);
        if (ra === rb) return;
        parent[rb] = ra;
        const ga = groups[ra];
        const gb = groups[rb];
        ga.producers.push(...gb.producers);
        ga.coupled.push(...gb.coupled);
        ga.batchNormScales.push(...gb.batchNormScales);
        for (const r of gb.blockedReasons) if (!ga.blockedReasons.includes(r)) ga.blockedReasons.push(r);
        requireBlocks(ga, gb.blocks, where);
      });
      return true;
    },
    group: (id) => groups[find(id)],
    find,
  };

  for (const node of graphProto.node) {
    const handler = (node.domain ?? "") === "" ? (OP_HANDLERS.get(node.opType ?? "") ?? handleUnknown) : handleUnknown;
    handler(node, ctx);
    // Values read inside subgraphs (If/Loop bodies) cannot be followed.
    for (const sub of listSubgraphs(node)) {
      for (const name of listOuterScopeInputs(sub.graph)) {
        const l = layouts.get(name);
        if (l) ctx.block(l, `${describe(node)} reads channels inside a subgraph`);
      }
    }
  }
  for (const o of graphProto.output) {
    const l = layouts.get(o.name ?? "");
    if (l) ctx.block(l, `its channels reach the graph output "${o.name}" (outputs keep their shapes)`);
  }
  const roots = groups.filter((g) => find(g.id) === g.id && g.producers.length > 0);
  return { graph, groups: roots, find, layouts, edits };
}

/** Expands a layout into the kept element indices along its axis, given kept channels per root group. */
export function expandKeptIndices(layout: TLayout, keptByGroup: ReadonlyMap<number, readonly number[]>, find: (id: number) => number): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const s of layout.segments) {
    const kept = keptByGroup.get(find(s.group));
    const channels = kept ?? Array.from({ length: s.size }, (_, i) => i);
    for (const c of channels) for (let k = 0; k < layout.inner; k++) out.push((offset + c) * layout.inner + k);
    offset += s.size;
  }
  return out;
}

/**
 * Runs the recorded edits for the chosen channels (groups missing from `keptByGroup` keep all channels) and drops
 * value_info entries whose shapes changed.
 */
export function applyChannelSelection(analysis: TChannelAnalysis, keptByGroup: ReadonlyMap<number, readonly number[]>): void {
  const touched = new Set<number>([...keptByGroup.keys()]);
  for (const e of analysis.edits) {
    if (!e.layout.segments.some((s) => touched.has(analysis.find(s.group)))) continue;
    e.apply(expandKeptIndices(e.layout, keptByGroup, analysis.find), keptByGroup);
  }
  const g = analysis.graph.graph;
  g.valueInfo = g.valueInfo.filter((v) => {
    const l = analysis.layouts.get(v.name ?? "");
    return !l || !l.segments.some((s) => touched.has(analysis.find(s.group)));
  });
  analysis.graph.invalidate();
}

/**
 * The reference for a selection without removing anything: zeros, in the unpruned graph, the weights that read the
 * removed channels. Outputs must equal the pruned model's (used by tests to check every slice on real models).
 */
export function applyChannelZeroing(analysis: TChannelAnalysis, keptByGroup: ReadonlyMap<number, readonly number[]>): void {
  const touched = new Set<number>([...keptByGroup.keys()]);
  for (const e of analysis.edits) {
    if (!e.zero || !e.layout.segments.some((s) => touched.has(analysis.find(s.group)))) continue;
    e.zero(expandKeptIndices(e.layout, keptByGroup, analysis.find));
  }
  analysis.graph.invalidate();
}
