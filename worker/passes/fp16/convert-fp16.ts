/**
 * The `fp16` pass: float32 weights and compute become float16; numerically sensitive ops (reductions, Softmax,
 * Resize scales, Range, ...) stay float32 with Casts around them; graph inputs/outputs stay float32 by default.
 * Subgraphs (If/Loop/Scan bodies) are converted too, with Casts at their boundaries so the control-flow node's
 * declared types stay valid.
 */
import { ZFp16Options, type TFp16Options } from "../../../contracts/pipeline";
import type { TGraphProto, TModelProto, TNodeProto, TTensorProto } from "../../onnx/onnx-proto";
import { assertFloatModel } from "../quantize/detect";
import { createAttribute, createNameFactory, createNodeProto, createTensor, DTYPE } from "../quantize/onnx-helpers";
import { viewFloat32Values } from "../../onnx/dtypes";
import { prepareForQuantization } from "../quantize/prepare";
import type { TPassResult } from "../quantize/int8-static";
import { convertFloat32ArrayToFloat16, convertFloat32ArrayToFloat16Counting, FLOAT16_MAX } from "./half";
import { inferGraphTypes, inferNodeOutputTypes } from "./infer-types";

/** Inputs that must stay float32 even when their node runs in float16 (op type → input positions). */
const FLOAT32_ONLY_INPUTS: ReadonlyMap<string, readonly number[]> = new Map([
  ["Resize", [1, 2]],
  ["Upsample", [1]],
  ["Dropout", [1]],
]);

export type TFp16Stats = {
  convertedNodes: number;
  keptFloat32Nodes: number;
  convertedInitializers: number;
  clampedValues: number;
  castsInserted: number;
  /** Nodes kept float32 because a weight they read does not fit float16. */
  outOfRangeNodes: number;
};

/** Inputs where a value beyond float16 is harmless to clamp (Clip bounds: float16 data never exceeds ±65504). */
const CLAMPABLE_INPUTS: ReadonlyMap<string, readonly number[]> = new Map([["Clip", [1, 2]]]);

type TNamer = (base: string) => string;

/** fp16 conversion with details. */
export function runFp16(model: TModelProto, input: Partial<TFp16Options> = {}): TPassResult<TFp16Stats> {
  const o = ZFp16Options.parse(input);
  assertFloatModel(model, "fp16");
  // Constant-node weights become initializers first, so they are converted like any other weight. BatchNorm is
  // folded into its Conv: exported BNs may carry variances beyond float16 (PP-OCRv4 det: ~1e8), and folding
  // turns them into ordinary-sized Conv weights (and one op fewer per layer).
  const m = prepareForQuantization(model, { foldBatchNorm: true, upgradeOpset: false, refuseQuantized: false }).model;
  const namer = createNameFactory(m);
  const stats: TFp16Stats = { convertedNodes: 0, keptFloat32Nodes: 0, convertedInitializers: 0, clampedValues: 0, castsInserted: 0, outOfRangeNodes: 0 };
  const keep = new Set(o.opTypesToKeepFloat32);
  const exclude = new Set(o.nodesToExclude);
  convertGraph(m.graph!, new Map(), new Map(), { keep, exclude, namer, stats, keepIo: o.keepIoTypes, isMain: true, outOfRange: new Set() });
  const warnings: string[] = [];
  if (stats.outOfRangeNodes > 0) warnings.push(`fp16: kept ${stats.outOfRangeNodes} nodes in float32 because their weights exceed the float16 range (±65504)`);
  if (stats.clampedValues > 0) warnings.push(`fp16: ${stats.clampedValues} weight values exceeded the float16 range (±65504) and were clamped`);
  return { model: m, warnings, stats };
}

/** fp16 conversion (function API). */
export function convertToFp16(model: TModelProto, input: Partial<TFp16Options> = {}): TModelProto {
  return runFp16(model, input).model;
}

type TCtx = {
  keep: Set<string>;
  exclude: Set<string>;
  namer: TNamer;
  stats: TFp16Stats;
  keepIo: boolean;
  isMain: boolean;
  /** Initializers (this graph and outer ones) with values beyond float16: their readers stay float32. */
  outOfRange: Set<string>;
};

function readsOutOfRange(n: TNodeProto, ctx: TCtx): boolean {
  const clampable = CLAMPABLE_INPUTS.get(n.opType ?? "") ?? [];
  return n.input.some((x, i) => x !== "" && ctx.outOfRange.has(x) && !clampable.includes(i));
}

function isDefaultDomain(n: TNodeProto): boolean {
  return !n.domain || n.domain === "ai.onnx";
}

/** Nodes that run in float16: default-domain ops with float inputs, not kept, not control flow. */
function runsInFloat16(n: TNodeProto, ctx: TCtx): boolean {
  if (!isDefaultDomain(n)) return false;
  const op = n.opType ?? "";
  if (ctx.keep.has(op) || ctx.exclude.has(n.name ?? "")) return false;
  // Control-flow nodes keep their declared float32 interface; their bodies are converted separately.
  if (op === "If" || op === "Loop" || op === "Scan" || op === "Cast" || op === "CastLike") return false;
  // Clamping e.g. a BatchNorm variance of 1e8 to 65504 silently changes the result; float32 keeps it exact.
  return !readsOutOfRange(n, ctx);
}

/**
 * Converts one graph. `outerTypes` are the outer-scope value types after conversion, `outerBefore` before it
 * (a float32 node reading an outer value that became float16 needs a Cast back).
 */
function convertGraph(g: TGraphProto, outerTypes: ReadonlyMap<string, number>, outerBefore: ReadonlyMap<string, number>, ctx: TCtx): Map<string, number> {
  const before = inferGraphTypes(g, outerBefore);
  const types = new Map<string, number>(outerTypes);
  for (const v of g.input) if (v.name && v.type?.tensorType?.elemType) types.set(v.name, v.type.tensorType.elemType);
  for (const t of g.initializer) if (t.name && t.dataType) types.set(t.name, t.dataType);

  // Which initializers can become float16: every reader is a float16 node at a position that allows it.
  const initializers = new Map(g.initializer.map((t) => [t.name ?? "", t]));
  // One pass per float weight converts it and finds values beyond float16: the bits are kept for the weights that
  // are in range (most), and the conversion below reuses them.
  const converted16 = new Map<TTensorProto, Uint16Array>();
  for (const t of g.initializer) {
    if (t.dataType !== DTYPE.FLOAT) continue;
    const { bits, outOfRange } = convertFloat32ArrayToFloat16Counting(viewFloat32Values(t));
    if (outOfRange > 0) ctx.outOfRange.add(t.name ?? "");
    else converted16.set(t, bits);
  }
  for (const n of g.node) if (isDefaultDomain(n) && readsOutOfRange(n, ctx) && !ctx.keep.has(n.opType ?? "")) ctx.stats.outOfRangeNodes++;
  const fp16Users = new Map<string, boolean>();
  for (const n of g.node) {
    const fp16 = runsInFloat16(n, ctx);
    n.input.forEach((x, i) => {
      if (!initializers.has(x)) return;
      const ok = fp16 && !(FLOAT32_ONLY_INPUTS.get(n.opType ?? "") ?? []).includes(i);
      fp16Users.set(x, (fp16Users.get(x) ?? true) && ok);
    });
    // Subgraph reads of an outer initializer need it in its original type.
    for (const a of n.attribute) for (const sg of [...(a.g ? [a.g] : []), ...a.graphs]) markSubgraphReads(sg, initializers, fp16Users);
  }
  for (const o of g.output) if (initializers.has(o.name ?? "")) fp16Users.set(o.name ?? "", false);
  for (const [name, ok] of fp16Users) {
    const t = initializers.get(name)!;
    if (!ok || t.dataType !== DTYPE.FLOAT) continue;
    let bits = converted16.get(t);
    if (!bits) {
      // Values to clamp (e.g. Clip bounds): a copy of the weight, clamped, then converted.
      const values = Float32Array.from(viewFloat32Values(t));
      for (let i = 0; i < values.length; i++) {
        if (values[i] > FLOAT16_MAX) (values[i] = FLOAT16_MAX), ctx.stats.clampedValues++;
        else if (values[i] < -FLOAT16_MAX) (values[i] = -FLOAT16_MAX), ctx.stats.clampedValues++;
      }
      bits = convertFloat32ArrayToFloat16(values);
    }
    const converted: TTensorProto = { ...createTensor(name, DTYPE.FLOAT16, t.dims, bits), docString: t.docString };
    g.initializer[g.initializer.indexOf(t)] = converted;
    types.set(name, DTYPE.FLOAT16);
    ctx.stats.convertedInitializers++;
  }

  // Graph inputs of the main graph become float16 when the caller does not need float32 I/O.
  if (ctx.isMain && !ctx.keepIo) {
    for (const v of g.input) {
      if (v.type?.tensorType?.elemType === DTYPE.FLOAT && !initializers.has(v.name ?? "")) {
        v.type.tensorType.elemType = DTYPE.FLOAT16;
        types.set(v.name ?? "", DTYPE.FLOAT16);
      }
    }
  }

  const castCache = new Map<string, string>();
  const out: TNodeProto[] = [];
  const castTo = (name: string, to: number): string => {
    const key = `${name}|${to}`;
    let c = castCache.get(key);
    if (!c) {
      c = ctx.namer(`${name}_${to === DTYPE.FLOAT16 ? "fp16" : "fp32"}`);
      out.push(createNodeProto("Cast", [name], [c], { name: ctx.namer(`${name}_Cast_${to === DTYPE.FLOAT16 ? "fp16" : "fp32"}`), attribute: [createAttribute("to", to, { asInt: true })] }));
      types.set(c, to);
      castCache.set(key, c);
      ctx.stats.castsInserted++;
    }
    return c;
  };

  for (const n of g.node) {
    const fp16 = runsInFloat16(n, ctx);
    const protectedInputs = FLOAT32_ONLY_INPUTS.get(n.opType ?? "") ?? [];
    const readsFloat = n.input.some((x) => before.get(x) === DTYPE.FLOAT);
    n.input = n.input.map((x, i) => {
      if (!x) return x;
      const t = types.get(x);
      if (fp16 && t === DTYPE.FLOAT && !protectedInputs.includes(i)) return castTo(x, DTYPE.FLOAT16);
      if ((!fp16 || protectedInputs.includes(i)) && t === DTYPE.FLOAT16 && before.get(x) === DTYPE.FLOAT) return castTo(x, DTYPE.FLOAT);
      return x;
    });
    // Subgraphs: convert bodies with the outer types as they are now.
    for (const a of n.attribute) {
      for (const sg of [...(a.g ? [a.g] : []), ...a.graphs]) {
        convertGraph(sg, types, before, { ...ctx, isMain: false });
      }
    }
    if (fp16 && n.input.some((x) => types.get(x) === DTYPE.FLOAT16)) ctx.stats.convertedNodes++;
    else if (!fp16 && readsFloat && n.opType !== "Cast") ctx.stats.keptFloat32Nodes++;
    // ConstantOfShape/Cast produce what their attributes say; everything else follows its inputs.
    const outs = inferNodeOutputTypes(n, (x) => types.get(x));
    n.output.forEach((y, i) => {
      if (y && outs[i] !== undefined) types.set(y, outs[i]!);
    });
    out.push(n);
  }

  // Graph outputs: cast back to their declared type (always for subgraphs, whose parents declared float32).
  for (const o of g.output) {
    const name = o.name ?? "";
    // Subgraph outputs are often untyped: their original type is what the body computed before conversion.
    const declared = o.type?.tensorType?.elemType || before.get(name);
    const now = types.get(name);
    // Type untyped subgraph outputs, so the parent If/Loop/Scan knows what it yields (float32 after the Cast below).
    if (!ctx.isMain && o.type?.tensorType && !o.type.tensorType.elemType) {
      const final = now === DTYPE.FLOAT16 && declared === DTYPE.FLOAT ? DTYPE.FLOAT : (now ?? declared);
      if (final) o.type.tensorType.elemType = final;
    }
    if (now !== DTYPE.FLOAT16 || declared !== DTYPE.FLOAT) continue;
    if (ctx.isMain && !ctx.keepIo) {
      o.type!.tensorType!.elemType = DTYPE.FLOAT16;
      continue;
    }
    const renamed = ctx.namer(`${name}_fp16`);
    for (const n of out) n.output = n.output.map((y) => (y === name ? renamed : y));
    for (const n of out) n.input = n.input.map((x) => (x === name ? renamed : x));
    out.push(createNodeProto("Cast", [renamed], [name], { name: ctx.namer(`${name}_Cast_fp32`), attribute: [createAttribute("to", DTYPE.FLOAT, { asInt: true })] }));
    types.set(renamed, DTYPE.FLOAT16);
    types.set(name, DTYPE.FLOAT);
    ctx.stats.castsInserted++;
  }
  g.node = out;
  // value_info types must match the new types; drop entries we cannot vouch for.
  g.valueInfo = g.valueInfo.filter((v) => {
    const t = types.get(v.name ?? "");
    if (t === undefined) return false;
    if (v.type?.tensorType) v.type.tensorType.elemType = t;
    return true;
  });
  return types;
}

function markSubgraphReads(sg: TGraphProto, initializers: Map<string, TTensorProto>, fp16Users: Map<string, boolean>): void {
  for (const n of sg.node) {
    for (const x of n.input) if (initializers.has(x)) fp16Users.set(x, false);
    for (const a of n.attribute) for (const g of [...(a.g ? [a.g] : []), ...a.graphs]) markSubgraphReads(g, initializers, fp16Users);
  }
}
