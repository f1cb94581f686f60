/**
 * The `int8-static` pass: prepare → plan QDQ → calibrate the planned activations → insert Q/DQ.
 */
import { ZInt8StaticOptions, type TInt8StaticOptions } from "../../../contracts/pipeline";
import type { TModelProto } from "../../onnx/onnx-proto";
import type { TTensorRange } from "./calibrate/calibrator";
import { collectActivationRanges, type TCalibrationData } from "./calibrate/collect-ranges";
import { prepareForQuantization } from "./prepare";
import { applyQdq, listQdqNodes, planQdq, type TQdqOptions, type TQdqStats } from "./static/apply-qdq";
import { AppError } from "../../../contracts/app-error";
import { encodeModel } from "../../onnx/model-io";
import { createInferenceSession, type TRuntimeTensor } from "../../runtime/ort";
import { cloneModel, forEachGraph, getDefaultOpset } from "./onnx-helpers";

export type TInt8StaticInput = Partial<TInt8StaticOptions> & {
  /** Calibration data; required unless `ranges` are given. */
  calibration?: TCalibrationData;
  /** Precomputed activation ranges (from `calibrateInt8Static`), to quantize many variants with one calibration. */
  ranges?: ReadonlyMap<string, TTensorRange>;
  /** Feeds for the fidelity/sensitivity checks when `ranges` are given (otherwise the first calibration batches). */
  evaluationFeeds?: Record<string, TRuntimeTensor>[];
  intraOpThreads?: number;
  /**
   * Activations fetched per calibration run (default CALIBRATION_TENSORS_PER_RUN). Every fetched tensor stays alive
   * until the run returns, so fetching all at once holds every activation of the network in memory together.
   */
  calibrationTensorsPerRun?: number;
  signal?: AbortSignal;
};

/**
 * Default activations fetched per calibration run: bounds the memory of one run to a few dozen activations at the
 * cost of running each batch once per chunk of 32 (measured on PP-OCRv4 det: peak RSS above baseline 303 → ~150 MB, calibration inference ~1.8× longer).
 */
export const CALIBRATION_TENSORS_PER_RUN = 32;

/** How much quantizing one layer alone changes the model output (lowest cosine over its outputs). */
export type TLayerSensitivity = { node: string; opType: string; cosine: number };

export type TPassResult<TStats> = { model: TModelProto; warnings: string[]; stats: TStats };

function toQdqOptions(o: TInt8StaticOptions): TQdqOptions {
  return {
    opTypesToQuantize: o.opTypesToQuantize,
    nodesToExclude: o.nodesToExclude,
    opTypesToExclude: o.opTypesToExclude,
    nodesToInclude: o.nodesToInclude,
    perChannel: o.perChannel,
    activationType: o.activationType,
    activationSymmetric: o.activationSymmetric,
  };
}

function prepare(model: TModelProto, o: TInt8StaticOptions) {
  return prepareForQuantization(model, { upgradeOpset: true, foldBatchNorm: o.foldBatchNorm, cleanUp: true, foldConvTranspose: true });
}

/**
 * Calibrates once for every node that could be quantized (ignoring include/exclude lists), so callers can then
 * quantize subsets (one layer at a time for sensitivity) with `ranges` and no further inference.
 */
export async function calibrateInt8Static(
  model: TModelProto,
  input: TInt8StaticInput & { calibration: TCalibrationData },
): Promise<{ ranges: Map<string, TTensorRange>; batches: number; sampleFeeds: Record<string, TRuntimeTensor>[] }> {
  const o = ZInt8StaticOptions.parse(stripRuntime(input));
  const prepared = prepare(model, o).model;
  const plan = planQdq(prepared, { ...toQdqOptions(o), nodesToExclude: [], opTypesToExclude: [], nodesToInclude: undefined });
  const res = await collectActivationRanges(prepared, [...plan.activations], input.calibration, {
    method: o.calibrationMethod,
    calibrator: { percentile: o.percentile },
    maxBatches: o.calibrationBatches,
    maxTensorsPerRun: input.calibrationTensorsPerRun ?? CALIBRATION_TENSORS_PER_RUN,
    intraOpThreads: input.intraOpThreads,
    signal: input.signal,
  });
  return res;
}

function stripRuntime(input: TInt8StaticInput): Partial<TInt8StaticOptions> {
  const { calibration: _c, ranges: _r, intraOpThreads: _t, signal: _s, evaluationFeeds: _e, calibrationTensorsPerRun: _k, ...rest } = input;
  return rest;
}

/** Static int8 QDQ quantization with details (warnings for the report, counts). */
export async function runInt8Static(
  model: TModelProto,
  input: TInt8StaticInput,
): Promise<TPassResult<TQdqStats & { calibrationBatches: number; sensitivity: TLayerSensitivity[]; checkInferenceMs: number }>> {
  const o = ZInt8StaticOptions.parse(stripRuntime(input));
  const prepared = prepare(model, o);
  if (getDefaultOpset(prepared.model) < 10) {
    throw new AppError("UNPROCESSABLE", {
      userMessage: `int8-static needs opset 10 or newer (QuantizeLinear) and this model could not be upgraded: ${prepared.warnings.join("; ")}`,
    });
  }
  const qdqOpts = toQdqOptions(o);
  let ranges = input.ranges;
  let calibrationBatches = 0;
  let evalFeeds = input.evaluationFeeds;
  if (!ranges) {
    if (!input.calibration) {
      throw new AppError("BAD_INPUT", { userMessage: "int8-static needs calibration data (or generated inputs) to measure activation ranges" });
    }
    const plan = planQdq(prepared.model, qdqOpts);
    const res = await collectActivationRanges(prepared.model, [...plan.activations], input.calibration, {
      method: o.calibrationMethod,
      calibrator: { percentile: o.percentile },
      maxBatches: o.calibrationBatches,
      maxTensorsPerRun: input.calibrationTensorsPerRun ?? CALIBRATION_TENSORS_PER_RUN,
      intraOpThreads: input.intraOpThreads,
      signal: input.signal,
    });
    ranges = res.ranges;
    calibrationBatches = res.batches;
    if (!evalFeeds?.length) evalFeeds = res.sampleFeeds;
  }
  let sensitivity: TLayerSensitivity[] = [];
  // Inference spent on the sensitivity scan and the fidelity bisection: data-dependent work like calibration,
  // reported apart so "engine time" means the graph work only.
  const tChecks = performance.now();
  if (o.sensitiveNodesToKeepFloat > 0) {
    if (!evalFeeds?.length) throw new AppError("BAD_INPUT", { userMessage: "keeping sensitive layers in float needs calibration data or evaluation feeds" });
    sensitivity = await measureLayerSensitivity(prepared.model, ranges, qdqOpts, evalFeeds, input.intraOpThreads);
    const worst = sensitivity.slice(0, o.sensitiveNodesToKeepFloat).map((s) => s.node);
    qdqOpts.nodesToExclude = [...qdqOpts.nodesToExclude, ...worst];
  }
  const warnings = [...prepared.warnings];
  if (o.fidelityTarget > 0 && evalFeeds?.length) {
    const tuned = await findFloatLayersForTarget(prepared.model, ranges, qdqOpts, evalFeeds, o.fidelityTarget, o.fidelityFallback, input.intraOpThreads);
    qdqOpts.nodesToExclude = [...qdqOpts.nodesToExclude, ...tuned.kept];
    if (tuned.kept.length > 0) {
      const which = o.fidelityFallback === "leading" ? `the first ${tuned.kept.length} layers` : `the ${tuned.kept.length} most sensitive layers (${tuned.kept.slice(0, 8).join(", ")}${tuned.kept.length > 8 ? ", ..." : ""})`;
      warnings.push(
        `int8-static: kept ${which} in float to reach output cosine ${tuned.cosine.toFixed(4)} ` +
          `(target ${o.fidelityTarget}; fully quantized: ${tuned.fullCosine.toFixed(4)}), measured on the first calibration batches`,
      );
    }
    if (tuned.cosine < o.fidelityTarget) {
      warnings.push(`int8-static: output cosine ${tuned.cosine.toFixed(4)} is below the target ${o.fidelityTarget} even with half the layers in float; check the calibration data or exclude sensitive layers`);
    }
  }
  const checkInferenceMs = performance.now() - tChecks;
  const candidates = listQdqNodes(prepared.model, qdqOpts);
  const plan = planQdq(prepared.model, qdqOpts, ranges);
  const stats = applyQdq(prepared.model, plan, ranges, qdqOpts);
  const done = new Set(stats.quantizedNodes);
  const unreached = candidates.filter((n) => !done.has(n));
  if (unreached.length > 0) {
    warnings.push(
      `int8-static: ${unreached.length} layers stay float because their inputs were never reached by the calibration data ` +
        `(e.g. an If branch it did not take; give calibration data that exercises them): ${unreached.slice(0, 12).join(", ")}${unreached.length > 12 ? ", ..." : ""}`,
    );
  }
  if (stats.quantizedNodes.length === 0) warnings.push("int8-static: no node was quantized (no Conv/MatMul/Gemm with constant weights selected)");
  if (stats.raisedWeightScales > 0) warnings.push(`int8-static: raised ${stats.raisedWeightScales} near-zero weight channel scales so int32 biases do not overflow`);
  if (sensitivity.length > 0) {
    const kept = sensitivity.slice(0, o.sensitiveNodesToKeepFloat).map((s) => `${s.node} (cosine ${s.cosine.toFixed(4)} when quantized alone)`);
    warnings.push(`int8-static: kept the ${kept.length} most sensitive layers in float: ${kept.join(", ")}`);
  }
  return { model: prepared.model, warnings, stats: { ...stats, calibrationBatches, sensitivity, checkInferenceMs } };
}

/** Static int8 QDQ quantization (function API). */
export async function quantizeInt8Static(model: TModelProto, input: TInt8StaticInput): Promise<TModelProto> {
  return (await runInt8Static(model, input)).model;
}

/** Names of the nodes int8-static would quantize with these options (after preparation names unnamed nodes). */
export function listInt8StaticNodes(model: TModelProto, input: Partial<TInt8StaticOptions> = {}): string[] {
  const o = ZInt8StaticOptions.parse(input);
  return listQdqNodes(prepare(model, o).model, toQdqOptions(o));
}

/**
 * Quantizes each candidate layer alone (same ranges) and measures the output cosine against the float model on
 * `feeds`; most sensitive first. One session per layer: meant for tens of layers, not thousands.
 */
export async function measureLayerSensitivity(
  prepared: TModelProto,
  ranges: ReadonlyMap<string, TTensorRange>,
  opts: TQdqOptions,
  feeds: Record<string, TRuntimeTensor>[],
  intraOpThreads?: number,
): Promise<TLayerSensitivity[]> {
  const run = (m: TModelProto) => runOnce(m, feeds, intraOpThreads);
  const reference = await run(prepared);
  const candidates = listQdqNodes(prepared, opts);
  const opTypes = new Map<string, string>();
  forEachGraph(prepared.graph!, (g) => {
    for (const n of g.node) opTypes.set(n.name ?? "", n.opType ?? "");
  });
  const out: TLayerSensitivity[] = [];
  for (const node of candidates) {
    const m = cloneModel(prepared);
    const one = { ...opts, nodesToInclude: [node] };
    applyQdq(m, planQdq(m, one, ranges), ranges, one);
    out.push({ node, opType: opTypes.get(node) ?? "", cosine: compareOutputs(reference, await run(m)) });
  }
  return out.sort((a, b) => a.cosine - b.cosine);
}

function computeCosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb);
}

/**
 * Keeps the fewest layers in float, taken in a fixed order, so the output cosine on `feeds` reaches `target` (at most
 * half of the layers; the count is bisected).
 * - "sensitivity" (default): layers ranked by the output cosine when each is quantized alone, worst first. Unlike a
 *   leading prefix this keeps e.g. a late upsampling Conv or a sensitive head in float and quantizes the
 *   cheap-to-quantize stem, so more of the int8 speed-up survives.
 * - "leading": the first layers of the graph. Errors of the first layers compound through the whole network, which
 *   a one-layer-at-a-time scan underrates; keeping the stem in float is the classic remedy (TensorRT, Neural
 *   Compressor fallbacks).
 */
async function findFloatLayersForTarget(
  prepared: TModelProto,
  ranges: ReadonlyMap<string, TTensorRange>,
  opts: TQdqOptions,
  feeds: Record<string, TRuntimeTensor>[],
  target: number,
  order: "sensitivity" | "leading",
  intraOpThreads?: number,
): Promise<{ kept: string[]; cosine: number; fullCosine: number }> {
  const ref = await runOnce(prepared, feeds, intraOpThreads);
  const measure = async (exclude: readonly string[]) => {
    const m = cloneModel(prepared);
    const o = { ...opts, nodesToExclude: [...opts.nodesToExclude, ...exclude] };
    applyQdq(m, planQdq(m, o, ranges), ranges, o);
    return compareOutputs(ref, await runOnce(m, feeds, intraOpThreads));
  };
  const fullCosine = await measure([]);
  const layers = listQdqNodes(prepared, opts);
  if (fullCosine >= target || layers.length < 2) return { kept: [], cosine: fullCosine, fullCosine };
  // The ranking costs one run per layer: only pay for it when the fully quantized model misses the target.
  const ordered = order === "leading" ? layers : (await measureLayerSensitivity(prepared, ranges, opts, feeds, intraOpThreads)).map((s) => s.node);
  let lo = 0;
  let hi = Math.floor(ordered.length / 2);
  let hiCos = await measure(ordered.slice(0, hi));
  if (hiCos < target) return { kept: ordered.slice(0, hi), cosine: hiCos, fullCosine };
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const c = await measure(ordered.slice(0, mid));
    if (c >= target) {
      hi = mid;
      hiCos = c;
    } else lo = mid;
  }
  return { kept: ordered.slice(0, hi), cosine: hiCos, fullCosine };
}

async function runOnce(m: TModelProto, feeds: Record<string, TRuntimeTensor>[], intraOpThreads?: number) {
  const s = await createInferenceSession(encodeModel(m), { intraOpThreads: intraOpThreads ?? 1 });
  try {
    const outs: Record<string, TRuntimeTensor>[] = [];
    for (const f of feeds) outs.push(await s.run(f));
    return outs;
  } finally {
    await s.release();
  }
}

/** Lowest cosine over the float outputs of all batches. */
function compareOutputs(ref: Record<string, TRuntimeTensor>[], out: Record<string, TRuntimeTensor>[]): number {
  let cosine = 1;
  ref.forEach((batch, i) => {
    for (const [name, r] of Object.entries(batch)) {
      if (r.type !== "float32") continue;
      const c = computeCosineSimilarity(r.data as Float32Array, out[i][name].data as Float32Array);
      // A zeroed or non-finite output (NaN cosine) is the worst case; NaN would also break the sensitivity sort.
      cosine = Math.min(cosine, Number.isFinite(c) ? c : -1);
    }
  });
  return cosine;
}
