/**
 * The `int8-dynamic` pass: MatMul/Gemm with a constant 2-D weight get int8 weights (per output column) and
 * activations quantized at run time.
 * - "DynamicQuantizeMatMul" (default): one com.microsoft op per MatMul; the float bias rides along as its input.
 * - "MatMulInteger": standard ops DynamicQuantizeLinear → MatMulInteger → Cast → Mul(a_scale × b_scale) (+ Add bias),
 *   for runtimes without contrib ops (onnxruntime fuses it back into the same kernel).
 * Conv is not handled: ConvInteger models run slower than float on CPU (RECIPE.md); use int8-static for CNNs.
 */
import { ZInt8DynamicOptions, type TInt8DynamicOptions } from "../../../contracts/pipeline";
import type { TGraphProto, TModelProto, TNodeProto, TTensorProto } from "../../onnx/onnx-proto";
import { computeWeightQuantParams, quantizeTensorInto } from "./numerics/quant-params";
import { assertFloatModel } from "./detect";
import {
  cloneModel,
  createAttribute,
  createFloatTensor,
  createNameFactory,
  createNodeProto,
  createTensor,
  DTYPE,
  ensureOpsetImport,
  forEachGraph,
  getDefaultOpset,
  getFloatAttribute,
  getIntAttribute,
  indexGraph,
  MS_DOMAIN,
  type TGraphIndex,
} from "./onnx-helpers";
// Weights are only read (quantized into new arrays): a view of the file's bytes saves a copy of each.
import { viewFloat32Values } from "../../onnx/dtypes";
import { prepareForQuantization } from "./prepare";
import { removeUnusedInitializers, createNodeSelector, walkGraphScopes } from "./static/apply-qdq";
import type { TPassResult } from "./int8-static";

export type TInt8DynamicStats = { quantizedNodes: string[] };

/** Transposes a row-major [R, C] matrix. */
function transpose(w: Float32Array, R: number, C: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = w[r * C + c];
  return out;
}

const MATMUL_OPS: ReadonlySet<string> = new Set(["MatMul", "Gemm"]);
const NO_MATMUL_WARNING = "int8-dynamic: no MatMul/Gemm with a constant 2-D float weight was found; the model is unchanged";

/** True when some node of the model (subgraphs included) has one of `opTypes` (in any domain, like the node selector). */
export function hasOpType(model: TModelProto, opTypes: ReadonlySet<string>): boolean {
  let found = false;
  forEachGraph(model.graph!, (g) => {
    if (!found) found = g.node.some((n) => opTypes.has(n.opType ?? ""));
  });
  return found;
}

/** int8-dynamic with details. */
export function runInt8Dynamic(model: TModelProto, input: Partial<TInt8DynamicOptions> = {}): TPassResult<TInt8DynamicStats> {
  const o = ZInt8DynamicOptions.parse(input);
  if (!hasOpType(model, MATMUL_OPS)) {
    // Nothing this pass could rewrite (CNNs): skip the preparation copy and every graph index, and hand back the
    // model as it came (a structural clone), so "unchanged" is literally true. Refusal of quantized models stays.
    assertFloatModel(model, "prepare");
    return { model: cloneModel(model), warnings: [NO_MATMUL_WARNING], stats: { quantizedNodes: [] } };
  }
  const prepared = prepareForQuantization(model, { upgradeOpset: false, foldBatchNorm: false });
  const m = prepared.model;
  const namer = createNameFactory(m);
  const quantized: string[] = [];
  const graphs: TGraphProto[] = [];
  // A weight read from several bodies (an outer-scope initializer) is quantized once, next to its float original.
  const owners = new Map<TTensorProto, TGraphProto>();
  forEachGraph(m.graph!, (g) => {
    for (const t of g.initializer) owners.set(t, g);
  });
  const weightCache = new Map<TTensorProto, { q: string; scale: string; zp: string }>();
  // Every graph, If/Loop/Scan bodies included (silero-style models keep all weights there); a body may read its
  // parents' initializers, which the scoped index lists as its own.
  walkGraphScopes(m.graph!, (m.irVersion ?? 0) >= 4, (graph, index) => {
    graphs.push(graph);
    quantizeGraphMatMuls(graph, index, o, namer, quantized, { owners, weightCache });
  });
  for (const g of graphs) removeUnusedInitializers(g);
  if (quantized.length > 0) {
    if (o.kernel === "DynamicQuantizeMatMul") ensureOpsetImport(m, MS_DOMAIN, 1);
    else if (getDefaultOpset(m) < 11) prepared.warnings.push("int8-dynamic: MatMulInteger kernel needs opset ≥ 11");
  }
  const warnings = [...prepared.warnings];
  if (quantized.length === 0) warnings.push(NO_MATMUL_WARNING);
  return { model: m, warnings, stats: { quantizedNodes: quantized } };
}

/** Rewrites the MatMul/Gemm nodes of one graph level (weights may come from an enclosing graph). */
function quantizeGraphMatMuls(
  graph: TGraphProto,
  index: TGraphIndex,
  o: TInt8DynamicOptions,
  namer: (base: string) => string,
  quantized: string[],
  shared: { owners: ReadonlyMap<TTensorProto, TGraphProto>; weightCache: Map<TTensorProto, { q: string; scale: string; zp: string }> },
): void {
  const isSelected = createNodeSelector({ opTypesToQuantize: ["MatMul", "Gemm"], nodesToExclude: o.nodesToExclude, opTypesToExclude: o.opTypesToExclude, nodesToInclude: o.nodesToInclude });
  const nodes: TNodeProto[] = [];

  for (const node of graph.node) {
    const plan = isSelected(node) ? matchMatMul(node, index, o.minWeightElements) : undefined;
    if (!plan) {
      nodes.push(node);
      continue;
    }
    const tensor = index.initializers.get(plan.weightName)!;
    // Gemm(transB) reads the same tensor transposed: that is a different int8 layout, so it gets its own copy.
    let w = plan.transposed ? undefined : shared.weightCache.get(tensor);
    if (!w) {
      const params = computeWeightQuantParams(plan.weight, [plan.K, plan.N], { type: "int8", symmetric: true, axis: o.perChannel ? 1 : undefined });
      const q = quantizeTensorInto(plan.weight, [plan.K, plan.N], params, new Int8Array(plan.weight.length));
      w = { q: namer(`${plan.weightName}_quantized`), scale: namer(`${plan.weightName}_scale`), zp: namer(`${plan.weightName}_zero_point`) };
      const n = params.scale.length;
      const owner = shared.owners.get(tensor) ?? graph;
      owner.initializer.push(createTensor(w.q, DTYPE.INT8, [plan.K, plan.N], q));
      owner.initializer.push(createFloatTensor(w.scale, o.perChannel ? [n] : [], params.scale));
      owner.initializer.push(createTensor(w.zp, DTYPE.INT8, o.perChannel ? [n] : [], new Int8Array(n)));
      if (!plan.transposed) shared.weightCache.set(tensor, w);
    }
    const base = node.name ?? plan.weightName;
    const y = plan.biasAdd ? plan.biasAdd.output[0] : node.output[0];
    if (o.kernel === "DynamicQuantizeMatMul") {
      const inputs = [plan.activation, w.q, w.scale, w.zp];
      if (plan.bias) inputs.push(plan.bias);
      nodes.push(createNodeProto("DynamicQuantizeMatMul", inputs, [y], { name: namer(`${base}_quant`), domain: MS_DOMAIN }));
    } else {
      const aq = namer(`${base}_a_quantized`);
      const as = namer(`${base}_a_scale`);
      const az = namer(`${base}_a_zero_point`);
      const acc = namer(`${base}_int32`);
      const accF = namer(`${base}_int32_float`);
      const scale = namer(`${base}_output_scale`);
      const noBias = plan.bias ? namer(`${base}_no_bias`) : y;
      nodes.push(createNodeProto("DynamicQuantizeLinear", [plan.activation], [aq, as, az], { name: namer(`${base}_DynamicQuantizeLinear`) }));
      nodes.push(createNodeProto("MatMulInteger", [aq, w.q, az, w.zp], [acc], { name: namer(`${base}_MatMulInteger`) }));
      nodes.push(createNodeProto("Cast", [acc], [accF], { name: namer(`${base}_Cast`), attribute: [createAttribute("to", DTYPE.FLOAT, { asInt: true })] }));
      nodes.push(createNodeProto("Mul", [as, w.scale], [scale], { name: namer(`${base}_scale_Mul`) }));
      nodes.push(createNodeProto("Mul", [accF, scale], [noBias], { name: namer(`${base}_output_Mul`) }));
      if (plan.bias) nodes.push(createNodeProto("Add", [noBias, plan.bias], [y], { name: namer(`${base}_bias_Add`) }));
    }
    if (plan.biasAdd) plan.biasAdd.skip = true;
    quantized.push(node.name ?? "");
  }
  graph.node = nodes.filter((n) => !(n as TNodeProto & { skip?: boolean }).skip);
  for (const n of graph.node) delete (n as TNodeProto & { skip?: boolean }).skip;
}

type TMatMulMatch = {
  activation: string;
  weightName: string;
  weight: Float32Array;
  K: number;
  N: number;
  transposed: boolean;
  bias?: string;
  biasAdd?: TNodeProto & { skip?: boolean };
};

/** MatMul(x, W) or Gemm(x, W[, c]) with a constant 2-D float weight, in the form DynamicQuantizeMatMul takes. */
function matchMatMul(node: TNodeProto, index: ReturnType<typeof indexGraph>, minElements: number): TMatMulMatch | undefined {
  const [a, b, c] = node.input;
  const t = index.initializers.get(b);
  if (!t || t.dataType !== DTYPE.FLOAT || t.dims.length !== 2 || index.initializers.has(a)) return undefined;
  if (t.dims[0] * t.dims[1] < minElements) return undefined;
  if (node.opType === "MatMul") {
    const match: TMatMulMatch = { activation: a, weightName: b, weight: viewFloat32Values(t), K: t.dims[0], N: t.dims[1], transposed: false };
    // MatMul → Add(bias [N]) folds into the kernel's bias input, saving a pass over the output.
    const users = index.consumers.get(node.output[0]) ?? [];
    if (users.length === 1 && users[0].opType === "Add" && !index.graphOutputs.has(node.output[0])) {
      const add = users[0];
      const other = add.input[0] === node.output[0] ? add.input[1] : add.input[0];
      const bt = index.initializers.get(other);
      if (bt && bt.dataType === DTYPE.FLOAT && bt.dims.length === 1 && bt.dims[0] === match.N) {
        match.bias = other;
        match.biasAdd = add;
      }
    }
    return match;
  }
  // Gemm: only the plain x·W(+c) form; alpha/beta/transA would need extra ops.
  if (getIntAttribute(node, "transA", 0) !== 0 || getFloatAttribute(node, "alpha", 1) !== 1) return undefined;
  const transB = getIntAttribute(node, "transB", 0) === 1;
  const K = transB ? t.dims[1] : t.dims[0];
  const N = transB ? t.dims[0] : t.dims[1];
  let bias: string | undefined;
  if (c) {
    const ct = index.initializers.get(c);
    if (!ct || ct.dims.length !== 1 || ct.dims[0] !== N || getFloatAttribute(node, "beta", 1) !== 1) return undefined;
    bias = c;
  }
  const w = viewFloat32Values(t);
  return { activation: a, weightName: b, weight: transB ? transpose(w, N, K) : w, K, N, transposed: transB, bias };
}

/** int8-dynamic (function API). */
export function quantizeInt8Dynamic(model: TModelProto, input: Partial<TInt8DynamicOptions> = {}): TModelProto {
  return runInt8Dynamic(model, input).model;
}
