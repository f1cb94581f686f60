/**
 * Inserts QuantizeLinear/DequantizeLinear (QDQ format) into a prepared float model, given calibrated activation
 * ranges. Layout follows what onnxruntime's CPU provider fuses (RECIPE.md "Static int8 (QDQ)"):
 * uint8 activations, int8 per-channel weights, int32 biases with scale input_scale × weight_scale, Q after
 * Relu/Clip with zero point 0, shared scales through MaxPool/Resize/Reshape.
 */
import type { TGraphProto, TModelProto, TNodeProto, TTensorProto } from "../../../onnx/onnx-proto";
import type { TTensorRange } from "../calibrate/calibrator";
import { adjustWeightScalesForBias, quantizeBias } from "../numerics/bias";
import { computeScaleZeroPoint, computeWeightQuantParams, quantizeTensorInto, type TQuantType } from "../numerics/quant-params";
import {
  createAttribute,
  createFloatTensor,
  createNameFactory,
  createNodeProto,
  createTensor,
  DTYPE,
  getDefaultOpset,
  getFloatAttribute,
  indexGraph,
  readFloatTensor,
  type TGraphIndex,
} from "../onnx-helpers";
import { viewFloat32Values } from "../../../onnx/dtypes";
import type { TQdqModelPlan, TQdqPlan, TQdqPlanContext } from "./qdq-types";
import { QDQ_HANDLERS } from "./registry";

export type TQdqOptions = {
  opTypesToQuantize: readonly string[];
  nodesToExclude: readonly string[];
  opTypesToExclude: readonly string[];
  nodesToInclude?: readonly string[];
  perChannel: boolean;
  activationType: "uint8" | "int8";
  activationSymmetric: boolean;
};

export type TQdqStats = {
  quantizedNodes: string[];
  activations: number;
  weights: number;
  biases: number;
  /** Bias channels whose weight scale was raised to keep the int32 bias in range. */
  raisedWeightScales: number;
};

/** Ops onnxruntime's QDQ propagation moves a DequantizeLinear past (data movement only). */
const DQ_PROPAGATING_OPS: ReadonlySet<string> = new Set(["Transpose", "Reshape", "Squeeze", "Unsqueeze", "MaxPool", "Flatten", "Slice", "Gather", "Resize", "Identity", "DepthToSpace", "SpaceToDepth", "Expand", "Split"]);

/** Ops ORT fuses into integer kernels when surrounded by Q/DQ. */
const WEIGHTED_OPS = new Set(["Conv", "MatMul", "Gemm"]);

/** Predicate for "is this node selected" from the include/exclude options. */
export function createNodeSelector(opts: Pick<TQdqOptions, "opTypesToQuantize" | "nodesToExclude" | "opTypesToExclude" | "nodesToInclude">): (n: TNodeProto) => boolean {
  const ops = new Set(opts.opTypesToQuantize);
  const exNodes = new Set(opts.nodesToExclude);
  const exOps = new Set(opts.opTypesToExclude);
  const include = opts.nodesToInclude ? new Set(opts.nodesToInclude) : undefined;
  return (n) => {
    const op = n.opType ?? "";
    if (n.domain && n.domain !== "ai.onnx") return false;
    if (!ops.has(op) || exOps.has(op) || exNodes.has(n.name ?? "")) return false;
    return include ? include.has(n.name ?? "") : true;
  };
}

/**
 * Plans the QDQ layout of every graph of the model: the main graph and If/Loop/Scan bodies (silero VAD keeps all its
 * weights in If branches). A subgraph sees its ancestors' initializers as weights (outer-scope references).
 * With `ranges` undefined every float-looking activation counts as quantizable: that is how the tensors to calibrate
 * are found before calibration. The merged fields list everything; `perGraph` holds what `applyQdq` applies.
 */
export function planQdq(model: TModelProto, opts: TQdqOptions, ranges?: ReadonlyMap<string, TTensorRange>): TQdqModelPlan {
  const merged: TQdqModelPlan = { activations: new Set(), weights: new Map(), biases: new Map(), sharedScales: new Map(), constants: new Map(), hardSwish: new Map(), perGraph: new Map() };
  const perChannel = opts.perChannel && getDefaultOpset(model) >= 13;
  // Before IR 4 subgraph initializers had to be declared inputs too; prepare leaves such subgraphs alone, so do we.
  const withSubgraphs = (model.irVersion ?? 0) >= 4;
  walkGraphScopes(model.graph!, withSubgraphs, (graph, index) => {
    const plan = planGraphQdq(graph, index, opts, perChannel, ranges);
    merged.perGraph.set(graph, plan);
    for (const a of plan.activations) merged.activations.add(a);
    for (const [k, v] of plan.biases) merged.biases.set(k, v);
    for (const [k, v] of plan.sharedScales) merged.sharedScales.set(k, v);
    for (const [k, v] of plan.constants) merged.constants.set(k, v);
    for (const [k, v] of plan.hardSwish) merged.hardSwish.set(k, v);
    for (const [k, v] of plan.weights) {
      const prev = merged.weights.get(k);
      if (prev) for (const c of v.consumers) prev.consumers.add(c);
      else merged.weights.set(k, { axis: v.axis, consumers: new Set(v.consumers) });
    }
  });
  return merged;
}

/**
 * Calls `fn` for the main graph and (optionally) every nested body, parents first, with an index whose
 * initializers include those of the enclosing graphs (a body may read its parent's weights by name).
 */
export function walkGraphScopes(graph: TGraphProto, withSubgraphs: boolean, fn: (g: TGraphProto, index: TGraphIndex) => void, outer: ReadonlyMap<string, TTensorProto> = new Map()): void {
  const index = indexGraph(graph);
  const visible = new Map(outer);
  for (const [k, v] of index.initializers) visible.set(k, v);
  index.initializers = visible;
  fn(graph, index);
  if (!withSubgraphs) return;
  for (const n of graph.node) {
    for (const a of n.attribute) for (const sg of [...(a.g ? [a.g] : []), ...a.graphs]) walkGraphScopes(sg, true, fn, visible);
  }
}

function planGraphQdq(graph: TGraphProto, index: TGraphIndex, opts: TQdqOptions, perChannel: boolean, ranges?: ReadonlyMap<string, TTensorRange>): TQdqPlan {
  const plan: TQdqPlan = { activations: new Set(), weights: new Map(), biases: new Map(), sharedScales: new Map(), constants: new Map(), hardSwish: new Map() };
  const isSelected = createNodeSelector(opts);
  const isFloatWeight = (name: string) => {
    const t = index.initializers.get(name);
    return !!t && t.dataType === DTYPE.FLOAT;
  };
  // An excluded Conv/MatMul between quantized neighbours would still be fused by ORT (DQ → op → Q), so its
  // output (and the Relu/Clip right after it) must not get a Q: that is what keeps it in float.
  const blocked = new Set<string>();
  const isExcluded = createNodeSelector({ opTypesToQuantize: [...WEIGHTED_OPS], nodesToExclude: [], opTypesToExclude: [], nodesToInclude: [...opts.nodesToExclude] });
  const exOps = new Set(opts.opTypesToExclude);
  for (const node of graph.node) {
    if (!isExcluded(node) && !(WEIGHTED_OPS.has(node.opType ?? "") && exOps.has(node.opType ?? ""))) continue;
    const out = node.output[0];
    blocked.add(out);
    const users = index.consumers.get(out) ?? [];
    if (users.length === 1 && (users[0].opType === "Relu" || users[0].opType === "Clip")) blocked.add(users[0].output[0]);
  }
  // LOUD: a value an If/Loop/Scan body reads implicitly (by name, not as a node input) must not become a
  // DequantizeLinear output: onnxruntime 1.30's QDQ graph transformers index the consumer's explicit inputs with
  // the implicit edge's slot and abort the whole process (vector assertion) when the session is created.
  // ORT also moves a DQ forward through data-movement ops (QDQ propagation), so the check follows those too.
  const readImplicitly = (name: string, depth = 0): boolean =>
    (index.consumers.get(name) ?? []).some(
      (c) => !c.input.includes(name) || (depth < 8 && DQ_PROPAGATING_OPS.has(c.opType ?? "") && c.output.some((o) => o && readImplicitly(o, depth + 1))),
    );
  const isQuantizableActivation = (name: string) => {
    if (!name || index.initializers.has(name) || blocked.has(name) || readImplicitly(name)) return false;
    return ranges ? ranges.has(name) : true;
  };
  const quantizeOutput = (node: TNodeProto, outputIndex = 0) => {
    const out = node.output[outputIndex];
    if (!out) return;
    const users = index.consumers.get(out) ?? [];
    // Conv → Relu/Clip → Q(zero point 0): ORT removes the Relu/Clip and fuses the rest (ReluQuantFusion).
    if (users.length === 1 && !index.graphOutputs.has(out) && isZeroFloorActivation(users[0]) && !opts.activationSymmetric && opts.activationType === "uint8") {
      const act = users[0].output[0];
      if (isQuantizableActivation(act)) {
        plan.activations.add(act);
        return;
      }
    }
    if (isQuantizableActivation(out)) plan.activations.add(out);
  };
  // Relu, or Clip whose lower bound is 0: a uint8 Q with zero point 0 clamps the same way, so ORT can drop it.
  const isZeroFloorActivation = (n: TNodeProto) => {
    if (n.opType === "Relu") return true;
    if (n.opType !== "Clip") return false;
    const minName = n.input[1];
    if (minName) {
      const t = index.initializers.get(minName);
      return !!t && t.dataType === DTYPE.FLOAT && readFloatTensor(t)[0] === 0;
    }
    return getFloatAttribute(n, "min", -Infinity) === 0;
  };
  const ctx: TQdqPlanContext = { graph, index, plan, perChannel, isQuantizableActivation, isFloatWeight, isSelected, quantizeOutput };
  for (const node of graph.node) {
    if (!isSelected(node)) continue;
    QDQ_HANDLERS.get(node.opType ?? "")?.plan(node, ctx);
  }
  return plan;
}

/** Lists the nodes the static pass would quantize (names), e.g. for per-layer sensitivity analysis. */
export function listQdqNodes(model: TModelProto, opts: TQdqOptions): string[] {
  const plan = planQdq(model, opts);
  const names = new Set<string>();
  for (const w of plan.weights.values()) for (const n of w.consumers) names.add(n.name ?? "");
  return [...names];
}

/**
 * Applies a plan to `model` (mutated in place; callers pass a prepared copy) with the calibrated ranges.
 */
export function applyQdq(model: TModelProto, plan: TQdqModelPlan, ranges: ReadonlyMap<string, TTensorRange>, opts: TQdqOptions): TQdqStats {
  const namer = createNameFactory(model);
  const stats: TQdqStats = { quantizedNodes: [], activations: 0, weights: 0, biases: 0, raisedWeightScales: 0 };
  const graphs: TGraphProto[] = [];
  walkGraphScopes(model.graph!, (model.irVersion ?? 0) >= 4, (graph, index) => {
    graphs.push(graph);
    const p = plan.perGraph.get(graph);
    if (p) applyGraphQdq(graph, index, p, ranges, opts, namer, stats);
  });
  // Only now: a parent's float weight may have been read by a body that was rewritten after the parent.
  for (const g of graphs) removeUnusedInitializers(g);
  stats.quantizedNodes = [...new Set(stats.quantizedNodes)];
  return stats;
}

function applyGraphQdq(
  graph: TGraphProto,
  index: TGraphIndex,
  plan: TQdqPlan,
  ranges: ReadonlyMap<string, TTensorRange>,
  opts: TQdqOptions,
  namer: (base: string) => string,
  stats: TQdqStats,
): void {
  const actType: TQuantType = opts.activationType;
  const actDtype = actType === "uint8" ? DTYPE.UINT8 : DTYPE.INT8;

  // 1. Activation parameters; shared outputs take their source's (resolved transitively).
  const actParams = new Map<string, { scale: number; zeroPoint: number }>();
  const resolveSource = (name: string): string => {
    let cur = name;
    for (let i = 0; i < 100 && plan.sharedScales.has(cur); i++) cur = plan.sharedScales.get(cur)!;
    return cur;
  };
  for (const name of plan.activations) {
    const src = resolveSource(name);
    const r = ranges.get(src) ?? ranges.get(name);
    if (!r) continue;
    // Values beyond where every reader saturates carry no information: spend the 256 levels inside.
    const sat = src === name ? findSaturationInterval(name, index) : undefined;
    const lo = sat ? Math.max(r.min, sat[0]) : r.min;
    const hi = sat ? Math.min(r.max, sat[1]) : r.max;
    actParams.set(name, computeScaleZeroPoint(lo, Math.max(lo, hi), actType, opts.activationSymmetric));
  }

  // Decided before step 2 renames the producers' outputs: a rewrite needs its input and output quantized.
  const constantNodes = [...plan.constants].filter(([n]) => actParams.has(n.output[0]) && n.input.some((i) => actParams.has(i)));
  const hardSwishNodes = [...plan.hardSwish].filter(([n, spec]) => actParams.has(n.input[0]) && actParams.has((spec.scaledBy?.mul ?? n).output[0]));

  const head: TNodeProto[] = [];
  const after = new Map<TNodeProto, TNodeProto[]>();
  const before = new Map<TNodeProto, TNodeProto[]>();
  const inputRewrites = new Map<string, string>();
  /** Quantized tensor name and zero-point initializer of each activation (for extra dequantized views of it). */
  const quantizedAs = new Map<string, { q: string; zeroPoint: string }>();

  // 2. Activations: rename the producer's output, so every reader (and graph outputs) sees the dequantized value.
  const producerOf = index.producer;
  for (const [name, p] of actParams) {
    const scaleName = namer(`${name}_scale`);
    const zpName = namer(`${name}_zero_point`);
    graph.initializer.push(createFloatTensor(scaleName, [], Float32Array.of(p.scale)));
    graph.initializer.push(createTensor(zpName, actDtype, [], actDtype === DTYPE.UINT8 ? Uint8Array.of(p.zeroPoint) : Int8Array.of(p.zeroPoint)));
    const qName = namer(`${name}_QuantizeLinear_Output`);
    const producer = producerOf.get(name);
    let floatIn = name;
    let dqOut = name;
    if (producer) {
      floatIn = namer(`${name}_float`);
      producer.output = producer.output.map((o) => (o === name ? floatIn : o));
    } else {
      dqOut = namer(`${name}_DequantizeLinear_Output`);
      inputRewrites.set(name, dqOut);
    }
    const q = createNodeProto("QuantizeLinear", [floatIn, scaleName, zpName], [qName], { name: namer(`${name}_QuantizeLinear`) });
    const dq = createNodeProto("DequantizeLinear", [qName, scaleName, zpName], [dqOut], { name: namer(`${name}_DequantizeLinear`) });
    if (producer) after.set(producer, [...(after.get(producer) ?? []), q, dq]);
    else head.push(q, dq);
    quantizedAs.set(name, { q: qName, zeroPoint: zpName });
    stats.activations++;
  }

  // 2b. Scalar constants of Add/Mul: uint8 behind a DequantizeLinear. Zero point 0 (255 for a negative value) puts
  // the value exactly on level 255 (0), so the constant itself is not rounded.
  for (const [node, names] of constantNodes) {
    node.input = node.input.map((i) => {
      if (!names.includes(i)) return i;
      const c = readFloatTensor(index.initializers.get(i)!)[0];
      const qName = namer(`${i}_quantized`);
      const sName = namer(`${i}_scale`);
      const zName = namer(`${i}_zero_point`);
      const dqOut = namer(`${i}_DequantizeLinear_Output`);
      // A zero constant keeps scale 1 (a zero scale is invalid); 0 is level 0 either way.
      graph.initializer.push(createTensor(qName, DTYPE.UINT8, [], Uint8Array.of(c < 0 ? 0 : c > 0 ? 255 : 0)));
      graph.initializer.push(createFloatTensor(sName, [], Float32Array.of(c === 0 ? 1 : Math.abs(c) / 255)));
      graph.initializer.push(createTensor(zName, DTYPE.UINT8, [], Uint8Array.of(c < 0 ? 255 : 0)));
      head.push(createNodeProto("DequantizeLinear", [qName, sName, zName], [dqOut], { name: namer(`${i}_DequantizeLinear`) }));
      return dqOut;
    });
  }

  // 2c. HardSwish(x) = x·relu6(x+3)/6 with both factors quantized: Add(x, 3) → Q[0, 6] (the Q's saturation is the
  // relu6, no Clip node needed) and Mul(x/6, ·), where x/6 is the same uint8 tensor dequantized with scale s/6.
  // onnxruntime fuses them into QLinearAdd + QLinearMul on uint8 instead of DQ → HardSigmoid → Mul → Q in float.
  const removed = new Set<TNodeProto>();
  for (const [hardSwish, spec] of hardSwishNodes) {
    // With an absorbed scale the Mul (producer of the quantized output) becomes the gated Mul and HardSwish goes.
    const node = spec.scaledBy?.mul ?? hardSwish;
    const factor = spec.scaledBy?.factor ?? 1;
    if (node !== hardSwish) removed.add(hardSwish);
    const x = hardSwish.input[0];
    const xp = actParams.get(x)!;
    const xq = quantizedAs.get(x)!;
    const base = hardSwish.name || x;
    const three = namer(`${base}_three`);
    const threeScale = namer(`${base}_three_scale`);
    const threeZp = namer(`${base}_three_zero_point`);
    const gateScale = namer(`${base}_gate_scale`);
    const gateZp = namer(`${base}_gate_zero_point`);
    const sixthScale = namer(`${x}_times_${factor === 1 ? "sixth" : "scaled"}_scale`);
    graph.initializer.push(createTensor(three, actDtype, [], actDtype === DTYPE.UINT8 ? Uint8Array.of(255) : Int8Array.of(127)));
    graph.initializer.push(createFloatTensor(threeScale, [], Float32Array.of(actDtype === DTYPE.UINT8 ? 3 / 255 : 3 / 127)));
    graph.initializer.push(createTensor(threeZp, actDtype, [], actDtype === DTYPE.UINT8 ? Uint8Array.of(0) : Int8Array.of(0)));
    // uint8: [0, 6] on 255 levels; int8: zero point -128 gives the same grid.
    graph.initializer.push(createFloatTensor(gateScale, [], Float32Array.of(6 / 255)));
    graph.initializer.push(createTensor(gateZp, actDtype, [], actDtype === DTYPE.UINT8 ? Uint8Array.of(0) : Int8Array.of(-128)));
    graph.initializer.push(createFloatTensor(sixthScale, [], Float32Array.of((xp.scale * factor) / 6)));
    const threeDq = namer(`${base}_three_DequantizeLinear_Output`);
    const sum = namer(`${base}_plus_three`);
    const gateQ = namer(`${base}_gate_QuantizeLinear_Output`);
    const gate = namer(`${base}_gate`);
    const sixth = namer(`${x}_times_${factor === 1 ? "sixth" : "scaled"}`);
    head.push(createNodeProto("DequantizeLinear", [three, threeScale, threeZp], [threeDq], { name: namer(`${base}_three_DequantizeLinear`) }));
    before.set(node, [
      createNodeProto("Add", [x, threeDq], [sum], { name: namer(`${base}_plus_three`) }),
      createNodeProto("QuantizeLinear", [sum, gateScale, gateZp], [gateQ], { name: namer(`${base}_gate_QuantizeLinear`) }),
      createNodeProto("DequantizeLinear", [gateQ, gateScale, gateZp], [gate], { name: namer(`${base}_gate_DequantizeLinear`) }),
      createNodeProto("DequantizeLinear", [xq.q, sixthScale, xq.zeroPoint], [sixth], { name: namer(`${sixth}_DequantizeLinear`) }),
    ]);
    node.opType = "Mul";
    node.domain = "";
    node.attribute = [];
    node.input = [sixth, gate];
  }

  // 3. Weights (scales raised where a bias needs it), then biases.
  const biasByWeight = new Map<string, { bias: string; input: string }[]>();
  for (const [, b] of plan.biases) {
    if (!actParams.has(b.input)) continue;
    biasByWeight.set(b.weight, [...(biasByWeight.get(b.weight) ?? []), { bias: b.name, input: b.input }]);
  }
  const weightScales = new Map<string, Float32Array>();
  const weightAxis = new Map<string, number | undefined>();
  for (const [name, spec] of plan.weights) {
    // A weight only pays off when its node's activation input is quantized too.
    const consumers = [...spec.consumers].filter((n) => actParams.has(n.input[0]));
    if (consumers.length === 0) continue;
    const t = index.initializers.get(name)!;
    // Read-only view of the stored weight (no copy): only read below, and the float initializer is dropped after.
    const w = viewFloat32Values(t);
    const params = computeWeightQuantParams(w, t.dims, { type: "int8", symmetric: true, axis: spec.axis });
    for (const b of biasByWeight.get(name) ?? []) {
      const bias = readFloatTensor(index.initializers.get(b.bias)!);
      if (params.scale.length !== 1 && bias.length !== params.scale.length) continue;
      const adjusted = adjustWeightScalesForBias(bias, actParams.get(b.input)!.scale, params.scale);
      for (let c = 0; c < adjusted.length; c++) if (adjusted[c] !== params.scale[c]) stats.raisedWeightScales++;
      params.scale = adjusted;
    }
    const q = quantizeTensorInto(w, t.dims, params, new Int8Array(w.length));
    const qName = namer(`${name}_quantized`);
    const sName = namer(`${name}_scale`);
    const zName = namer(`${name}_zero_point`);
    const dqOut = namer(`${name}_DequantizeLinear_Output`);
    const perCh = spec.axis !== undefined;
    graph.initializer.push(createTensor(qName, DTYPE.INT8, t.dims, q));
    graph.initializer.push(createFloatTensor(sName, perCh ? [params.scale.length] : [], params.scale));
    graph.initializer.push(createTensor(zName, DTYPE.INT8, perCh ? [params.scale.length] : [], new Int8Array(params.scale.length)));
    head.push(
      createNodeProto("DequantizeLinear", [qName, sName, zName], [dqOut], {
        name: namer(`${name}_DequantizeLinear`),
        attribute: perCh ? [createAttribute("axis", spec.axis!, { asInt: true })] : [],
      }),
    );
    for (const n of consumers) {
      n.input = n.input.map((x, i) => (i > 0 && x === name ? dqOut : x));
      stats.quantizedNodes.push(n.name ?? "");
    }
    weightScales.set(name, params.scale);
    weightAxis.set(name, spec.axis);
    stats.weights++;
  }
  for (const [node, b] of plan.biases) {
    const ws = weightScales.get(b.weight);
    const inP = actParams.get(b.input);
    if (!ws || !inP) continue;
    const bt = index.initializers.get(b.name)!;
    const bias = readFloatTensor(bt);
    if (ws.length !== 1 && ws.length !== bias.length) continue;
    const { values, scale } = quantizeBias(bias, inP.scale, ws);
    const qName = namer(`${b.name}_quantized`);
    const sName = namer(`${b.name}_scale`);
    const zName = namer(`${b.name}_zero_point`);
    const dqOut = namer(`${b.name}_DequantizeLinear_Output`);
    const perCh = ws.length !== 1;
    graph.initializer.push(createTensor(qName, DTYPE.INT32, bt.dims, values));
    graph.initializer.push(createFloatTensor(sName, perCh ? [scale.length] : [], perCh ? scale : scale.subarray(0, 1)));
    graph.initializer.push(createTensor(zName, DTYPE.INT32, perCh ? [scale.length] : [], new Int32Array(perCh ? scale.length : 1)));
    head.push(
      createNodeProto("DequantizeLinear", [qName, sName, zName], [dqOut], {
        name: namer(`${b.name}_DequantizeLinear`),
        attribute: perCh ? [createAttribute("axis", 0, { asInt: true })] : [],
      }),
    );
    node.input = node.input.map((x, i) => (i === 2 && x === b.name ? dqOut : x));
    stats.biases++;
  }

  // 4. New node order: weight/bias/graph-input DQs first, activation Q/DQ right after their producers.
  const nodes: TNodeProto[] = [...head];
  for (const n of graph.node) {
    if (removed.has(n)) continue;
    if (inputRewrites.size) n.input = n.input.map((x) => inputRewrites.get(x) ?? x);
    const pre = before.get(n) ?? [];
    for (const p of pre) {
      if (inputRewrites.size) p.input = p.input.map((x) => inputRewrites.get(x) ?? x);
      nodes.push(p);
    }
    nodes.push(n);
    const extra = after.get(n);
    if (extra) nodes.push(...extra);
  }
  graph.node = nodes;
}

/**
 * The interval outside which every reader of `name` is constant (saturated), or undefined when some reader is not
 * saturating. E.g. HardSwish(x) is 0 for x ≤ -3, HardSigmoid is flat outside [-β/α, (1-β)/α], Sigmoid ≈ 0/1
 * beyond ±16. Clamping the quantization range there is lossless for those readers and refines the steps inside.
 */
export function findSaturationInterval(name: string, index: ReturnType<typeof indexGraph>): [number, number] | undefined {
  const users = index.consumers.get(name) ?? [];
  if (users.length === 0 || index.graphOutputs.has(name)) return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (const u of users) {
    if (u.domain && u.domain !== "ai.onnx") return undefined;
    if (u.input[0] !== name || u.input.slice(1).includes(name)) return undefined;
    let iv: [number, number] | undefined;
    switch (u.opType) {
      case "Relu":
        iv = [0, Infinity];
        break;
      case "HardSwish":
        iv = [-3, Infinity];
        break;
      case "HardSigmoid": {
        const alpha = getFloatAttribute(u, "alpha", 0.2);
        const beta = getFloatAttribute(u, "beta", 0.5);
        if (alpha > 0) iv = [-beta / alpha, (1 - beta) / alpha];
        break;
      }
      case "Sigmoid":
        iv = [-16, 16];
        break;
      case "Tanh":
        iv = [-9, 9];
        break;
      case "Clip": {
        const read = (i: number, attr: string, d: number) => {
          const t = u.input[i] ? index.initializers.get(u.input[i]) : undefined;
          if (u.input[i] && !t) return undefined;
          return t ? readFloatTensor(t)[0] : getFloatAttribute(u, attr, d);
        };
        const mn = read(1, "min", -Infinity);
        const mx = read(2, "max", Infinity);
        if (mn !== undefined && mx !== undefined) iv = [mn, mx];
        break;
      }
    }
    if (!iv) return undefined;
    lo = Math.min(lo, iv[0]);
    hi = Math.max(hi, iv[1]);
  }
  return [lo, hi];
}

/** Drops initializers nothing reads any more (the float weights that were replaced). */
export function removeUnusedInitializers(graph: TGraphProto): void {
  const used = new Set<string>();
  const idx = indexGraph(graph);
  for (const name of idx.consumers.keys()) used.add(name);
  for (const o of graph.output) used.add(o.name ?? "");
  const inputs = new Set(graph.input.map((i) => i.name));
  graph.initializer = graph.initializer.filter((t) => used.has(t.name ?? "") || inputs.has(t.name));
}
