import type { TPassName, TPipelineStep } from "../../contracts/pipeline";
import type { TModelProto, TNodeProto } from "../onnx/onnx-proto";
import type { TCalibrationData } from "../passes/quantize/calibrate/collect-ranges";
import { runInt4Weight } from "../passes/quantize/int4-weight";
import { runInt8Dynamic } from "../passes/quantize/int8-dynamic";
import { calibrateInt8Static, listInt8StaticNodes, runInt8Static } from "../passes/quantize/int8-static";
import { forEachGraph } from "../passes/quantize/onnx-helpers";
import { prepareForQuantization } from "../passes/quantize/prepare";
import { SENSITIVITY_OP_TYPES, type TSensitivityCandidate } from "./layer-sensitivity";

/**
 * How each compression pass quantizes one layer at a time for the sensitivity table: a typed registry from pass
 * name to a probe factory. Passes without an entry (analyze, fp16) get no sensitivity table.
 */

export type TSensitivityProbe = {
  candidates: TSensitivityCandidate[];
  quantizeOnly: (model: TModelProto, node: TSensitivityCandidate) => Promise<TModelProto>;
};

export type TProbeContext = {
  /** The float model the step is applied to. */
  model: TModelProto;
  /** Calibration data (user or generated) for passes that need it. */
  calibration?: TCalibrationData;
  /** Calibration batches for the probe's one-off calibration (kept small: it only ranks layers). */
  calibrationBatches?: number;
  intraOpThreads?: number;
  signal?: AbortSignal;
};

type TProbeFactory = (step: TPipelineStep, ctx: TProbeContext) => Promise<TSensitivityProbe | undefined>;

/** Looks names up in the prepared model (passes name unnamed nodes while preparing) for op types and weight sizes. */
function describeCandidates(names: readonly string[], prepared: TModelProto): TSensitivityCandidate[] {
  const g = prepared.graph;
  if (!g) return [];
  const sizes = new Map<string, number>();
  const byName = new Map<string, TNodeProto>();
  // Layers inside If/Loop/Scan bodies are quantized too (silero VAD keeps all of them there).
  forEachGraph(g, (sg) => {
    for (const t of sg.initializer) if (t.name) sizes.set(t.name, t.dims.reduce((a, b) => a * Number(b), 1));
    for (const n of sg.node) byName.set(n.name ?? "", n);
  });
  const out: TSensitivityCandidate[] = [];
  for (const name of names) {
    const n = byName.get(name);
    if (!n?.opType || !SENSITIVITY_OP_TYPES.has(n.opType)) continue;
    out.push({ name, opType: n.opType, weightElements: sizes.get(n.input[1] ?? "") ?? 0 });
  }
  return out;
}

const PROBES: ReadonlyMap<TPassName, TProbeFactory> = new Map<TPassName, TProbeFactory>([
  [
    "int8-static",
    async (step, ctx) => {
      if (step.pass !== "int8-static" || !ctx.calibration) return undefined;
      const options = step.options;
      // One calibration for every layer; each probe then only inserts Q/DQ around its node.
      const { ranges } = await calibrateInt8Static(ctx.model, {
        ...options,
        calibrationBatches: Math.min(options.calibrationBatches, ctx.calibrationBatches ?? 4),
        calibration: ctx.calibration,
        intraOpThreads: ctx.intraOpThreads,
        signal: ctx.signal,
      });
      const prepared = prepareForQuantization(ctx.model, { upgradeOpset: options.perChannel, foldBatchNorm: options.foldBatchNorm }).model;
      return {
        candidates: describeCandidates(listInt8StaticNodes(ctx.model, options), prepared),
        quantizeOnly: async (model, node) =>
          (await runInt8Static(model, { ...options, nodesToInclude: [node.name], ranges, intraOpThreads: ctx.intraOpThreads })).model,
      };
    },
  ],
  [
    "int8-dynamic",
    async (step, ctx) => {
      if (step.pass !== "int8-dynamic") return undefined;
      const options = step.options;
      const full = runInt8Dynamic(ctx.model, options);
      const prepared = prepareForQuantization(ctx.model, { upgradeOpset: false, foldBatchNorm: false }).model;
      return {
        candidates: describeCandidates(full.stats.quantizedNodes, prepared),
        quantizeOnly: async (model, node) => runInt8Dynamic(model, { ...options, nodesToInclude: [node.name] }).model,
      };
    },
  ],
  [
    "int4-weight",
    async (step, ctx) => {
      if (step.pass !== "int4-weight") return undefined;
      // Round-to-nearest for the probe even when the step uses GPTQ: it only ranks layers, and stays cheap.
      const options = { ...step.options, method: "rtn" as const };
      const full = await runInt4Weight(ctx.model, options);
      const prepared = prepareForQuantization(ctx.model, { upgradeOpset: false, foldBatchNorm: false }).model;
      return {
        candidates: describeCandidates(full.stats.quantizedNodes, prepared),
        quantizeOnly: async (model, node) => (await runInt4Weight(model, { ...options, nodesToInclude: [node.name] })).model,
      };
    },
  ],
]);

/**
 * The sensitivity probe for the first step of the pipeline that has one, or undefined when no step supports
 * per-layer quantization.
 */
export async function createSensitivityProbe(steps: readonly TPipelineStep[], ctx: TProbeContext): Promise<TSensitivityProbe | undefined> {
  for (const step of steps) {
    const factory = PROBES.get(step.pass);
    if (factory) return factory(step, ctx);
  }
  return undefined;
}
