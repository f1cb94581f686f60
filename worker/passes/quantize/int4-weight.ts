/**
 * The `int4-weight` pass: MatMul(x, W) with a constant 2-D float weight becomes com.microsoft MatMulNBits
 * (4-bit blocks along K, one float scale per block and column, optional packed zero points).
 * Round-to-nearest by default; with calibration data, GPTQ uses each MatMul's input Hessian XᵀX (accumulated
 * batch by batch, K² numbers per layer) to compensate rounding errors.
 */
import { AppError } from "../../../contracts/app-error";
import { ZInt4WeightOptions, type TInt4WeightOptions } from "../../../contracts/pipeline";
import type { TModelProto, TNodeProto } from "../../onnx/onnx-proto";
import { encodeModel } from "../../onnx/model-io";
import { createInferenceSession } from "../../runtime/ort";
import { CALIBRATION_SESSION_OPTIONS, createCalibrationModel, iterateCalibrationFeeds, type TCalibrationData } from "./calibrate/collect-ranges";
import { HessianAccumulator, quantizeGptq } from "./numerics/gptq";
import { quantizeMatMulNBitsRtn, type TMatMulNBitsWeight } from "./numerics/int4";
import { assertFloatModel } from "./detect";
import { hasOpType } from "./int8-dynamic";
import {
  cloneModel,
  createAttribute,
  createFloatTensor,
  createNameFactory,
  createNodeProto,
  createTensor,
  DTYPE,
  ensureOpsetImport,
  indexGraph,
  MS_DOMAIN,
} from "./onnx-helpers";
import { viewFloat32Values } from "../../onnx/dtypes";
import { prepareForQuantization } from "./prepare";
import { createNodeSelector, removeUnusedInitializers } from "./static/apply-qdq";
import type { TPassResult } from "./int8-static";

export type TInt4WeightInput = Partial<TInt4WeightOptions> & {
  calibration?: TCalibrationData;
  intraOpThreads?: number;
  signal?: AbortSignal;
};

export type TInt4WeightStats = { quantizedNodes: string[]; method: "rtn" | "gptq"; calibrationBatches: number };

type TCandidate = { node: TNodeProto; activation: string; weightName: string; K: number; N: number };

function stripRuntime(input: TInt4WeightInput): Partial<TInt4WeightOptions> {
  const { calibration: _c, intraOpThreads: _t, signal: _s, ...rest } = input;
  return rest;
}

const MATMUL_OP: ReadonlySet<string> = new Set(["MatMul"]);
const NO_MATMUL_WARNING = "int4-weight: no MatMul with a constant 2-D float weight (K ≥ 16) was found; the model is unchanged";

/** int4-weight with details. */
export async function runInt4Weight(model: TModelProto, input: TInt4WeightInput = {}): Promise<TPassResult<TInt4WeightStats>> {
  const o = ZInt4WeightOptions.parse(stripRuntime(input));
  const method = o.method === "auto" ? (input.calibration ? "gptq" : "rtn") : o.method;
  if (method === "gptq" && !input.calibration) {
    throw new AppError("BAD_INPUT", {
      userMessage: "int4-weight with method \"gptq\" needs calibration data (or use method \"rtn\")",
    });
  }
  if (!hasOpType(model, MATMUL_OP)) {
    // No MatMul at all (CNNs): no preparation copy, no calibration; the model comes back as it was (cloned).
    assertFloatModel(model, "prepare");
    return { model: cloneModel(model), warnings: [NO_MATMUL_WARNING], stats: { quantizedNodes: [], method, calibrationBatches: 0 } };
  }
  const prepared = prepareForQuantization(model, { upgradeOpset: false, foldBatchNorm: false });
  const m = prepared.model;
  const graph = m.graph!;
  const index = indexGraph(graph);
  const isSelected = createNodeSelector({ opTypesToQuantize: ["MatMul"], nodesToExclude: o.nodesToExclude, opTypesToExclude: o.opTypesToExclude, nodesToInclude: o.nodesToInclude });
  const candidates: TCandidate[] = [];
  for (const node of graph.node) {
    if (!isSelected(node)) continue;
    const [a, b] = node.input;
    const t = index.initializers.get(b);
    if (!t || t.dataType !== DTYPE.FLOAT || t.dims.length !== 2 || index.initializers.has(a)) continue;
    const [K, N] = t.dims;
    // MatMulNBits needs K ≥ 16 and enough elements to be worth a kernel switch.
    if (K < 16 || K * N < o.minWeightElements) continue;
    candidates.push({ node, activation: a, weightName: b, K, N });
  }

  let hessians: Map<string, HessianAccumulator> | undefined;
  let calibrationBatches = 0;
  if (method === "gptq" && candidates.length > 0) {
    const res = await accumulateHessians(m, candidates, input.calibration!, o.calibrationBatches, input);
    hessians = res.hessians;
    calibrationBatches = res.batches;
  }

  const namer = createNameFactory(m);
  const quantized: string[] = [];
  const replaced = new Map<TNodeProto, TNodeProto>();
  const cache = new Map<string, { packed: string; scales: string; zp?: string }>();
  for (const c of candidates) {
    const h = hessians?.get(c.activation);
    // GPTQ output depends on the activation too, so a weight shared by two MatMuls is only reused under RTN.
    const key = h ? `${c.weightName}|${c.activation}` : c.weightName;
    let names = cache.get(key);
    if (!names) {
      // Only read (RTN packs into new arrays, GPTQ works on its own float64 copy): a view saves a copy.
      const w = viewFloat32Values(index.initializers.get(c.weightName)!);
      const q: TMatMulNBitsWeight = h
        ? quantizeGptq(w, c.K, c.N, h.finalize(), { blockSize: o.blockSize, symmetric: o.symmetric })
        : quantizeMatMulNBitsRtn(w, c.K, c.N, o.blockSize, o.symmetric);
      names = { packed: namer(`${c.weightName}_Q4`), scales: namer(`${c.weightName}_scales`) };
      graph.initializer.push(createTensor(names.packed, DTYPE.UINT8, [c.N, q.blocksPerCol, o.blockSize / 2], q.packed));
      graph.initializer.push(createFloatTensor(names.scales, [c.N * q.blocksPerCol], q.scales));
      if (q.zeroPoints) {
        names.zp = namer(`${c.weightName}_zero_points`);
        graph.initializer.push(createTensor(names.zp, DTYPE.UINT8, [q.zeroPoints.length], q.zeroPoints));
      }
      cache.set(key, names);
    }
    const inputs = [c.activation, names.packed, names.scales];
    if (names.zp) inputs.push(names.zp);
    const attrs = [
      createAttribute("K", c.K, { asInt: true }),
      createAttribute("N", c.N, { asInt: true }),
      createAttribute("bits", 4, { asInt: true }),
      createAttribute("block_size", o.blockSize, { asInt: true }),
    ];
    if (o.accuracyLevel > 0) attrs.push(createAttribute("accuracy_level", o.accuracyLevel, { asInt: true }));
    replaced.set(c.node, createNodeProto("MatMulNBits", inputs, [c.node.output[0]], { name: namer(`${c.node.name}_Q4`), domain: MS_DOMAIN, attribute: attrs }));
    quantized.push(c.node.name ?? "");
  }
  graph.node = graph.node.map((n) => replaced.get(n) ?? n);
  removeUnusedInitializers(graph);
  if (quantized.length > 0) ensureOpsetImport(m, MS_DOMAIN, 1);
  const warnings = [...prepared.warnings];
  if (quantized.length === 0) warnings.push(NO_MATMUL_WARNING);
  return { model: m, warnings, stats: { quantizedNodes: quantized, method, calibrationBatches } };
}

/**
 * Streams calibration batches through the float model with every candidate's activation as an extra output and
 * accumulates XᵀX per distinct activation (rows = all leading dims flattened).
 */
async function accumulateHessians(
  model: TModelProto,
  candidates: TCandidate[],
  data: TCalibrationData,
  maxBatches: number,
  input: TInt4WeightInput,
): Promise<{ hessians: Map<string, HessianAccumulator>; batches: number }> {
  const hessians = new Map<string, HessianAccumulator>();
  for (const c of candidates) if (!hessians.has(c.activation)) hessians.set(c.activation, new HessianAccumulator(c.K));
  const graphInputs = new Set(model.graph!.input.map((i) => i.name));
  const fetch = [...hessians.keys()].filter((n) => !graphInputs.has(n));
  const session = await createInferenceSession(encodeModel(createCalibrationModel(model, fetch)), { intraOpThreads: input.intraOpThreads, ...CALIBRATION_SESSION_OPTIONS });
  let batches = 0;
  try {
    for await (const feeds of iterateCalibrationFeeds(data, { maxBatches, signal: input.signal })) {
      const out = fetch.length ? await session.run(feeds, fetch) : {};
      for (const [name, acc] of hessians) {
        const t = graphInputs.has(name) ? feeds[name] : out[name];
        if (!t || t.type !== "float32") continue;
        const x = t.data as Float32Array;
        acc.addRows(x, x.length / acc.K);
      }
      batches++;
    }
  } finally {
    await session.release();
  }
  return { hessians, batches };
}

/** int4-weight (function API). */
export async function quantizeInt4Weights(model: TModelProto, input: TInt4WeightInput = {}): Promise<TModelProto> {
  return (await runInt4Weight(model, input)).model;
}
