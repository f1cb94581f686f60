/**
 * Pipeline registry entries for the quantization passes (int8-dynamic, int8-static, fp16, int4-weight), built on
 * the function API in worker/passes/quantize. They live here rather than next to the algorithms because they
 * adapt pass results to the runner (calibration data, timing, report sections); the algorithms stay IO-free.
 */
import { calibrateInt8Static, runFp16, runInt4Weight, runInt8Dynamic, runInt8Static } from "../passes/quantize";
import type { TPassHandler } from "./pass-registry";

/** Warning added when int8-static had to calibrate on made-up inputs. */
export const GENERATED_CALIBRATION_WARNING =
  "int8-static was calibrated on generated inputs: give real calibration data (--calib) for better accuracy";

/** `int8-dynamic`: int8 weights, activations quantized at run time. */
export const INT8_DYNAMIC_PASS: TPassHandler<"int8-dynamic"> = {
  pass: "int8-dynamic",
  stage: "quantizing (int8 dynamic)",
  progressWeight: 2,
  run: async (model, ctx) => {
    const r = runInt8Dynamic(model, ctx.options);
    ctx.reportProgress(1);
    return { model: r.model, warnings: r.warnings, stats: { quantizedNodes: r.stats.quantizedNodes.length } };
  },
};

/** `int8-static`: QDQ with calibration (the user's data, else generated inputs with a warning). */
export const INT8_STATIC_PASS: TPassHandler<"int8-static"> = {
  pass: "int8-static",
  stage: "quantizing (int8 static)",
  progressWeight: 6,
  run: async (model, ctx) => {
    const calibration = ctx.calibration ?? ctx.fallbackCalibration;
    ctx.reportProgress(0, "calibrating activation ranges");
    const t0 = performance.now();
    const { ranges, batches, sampleFeeds } = await calibrateInt8Static(model, { ...ctx.options, calibration, intraOpThreads: ctx.intraOpThreads, signal: ctx.signal });
    const calibrationMs = performance.now() - t0;
    ctx.reportProgress(0.6, "inserting QuantizeLinear/DequantizeLinear");
    // The fidelity check (fidelityTarget) runs on the batches the ranges came from.
    const r = await runInt8Static(model, { ...ctx.options, ranges, evaluationFeeds: sampleFeeds, intraOpThreads: ctx.intraOpThreads, signal: ctx.signal });
    const warnings = [...r.warnings];
    if (!ctx.calibration) warnings.unshift(GENERATED_CALIBRATION_WARNING);
    ctx.reportProgress(1);
    return {
      model: r.model,
      warnings,
      calibrationMs,
      stats: { ...r.stats, calibrationBatches: batches },
      report: { calibration: { source: calibration.source, description: calibration.description } },
    };
  },
};

/** `fp16`: float16 weights and compute. */
export const FP16_PASS: TPassHandler<"fp16"> = {
  pass: "fp16",
  stage: "converting to float16",
  progressWeight: 1,
  run: async (model, ctx) => {
    const r = runFp16(model, ctx.options);
    ctx.reportProgress(1);
    return { model: r.model, warnings: r.warnings, stats: r.stats };
  },
};

/** `int4-weight`: MatMulNBits; GPTQ only with the user's calibration data (generated data would mislead it). */
export const INT4_WEIGHT_PASS: TPassHandler<"int4-weight"> = {
  pass: "int4-weight",
  stage: "quantizing (int4 weights)",
  progressWeight: 3,
  run: async (model, ctx) => {
    const r = await runInt4Weight(model, { ...ctx.options, calibration: ctx.calibration, intraOpThreads: ctx.intraOpThreads, signal: ctx.signal });
    ctx.reportProgress(1);
    return {
      model: r.model,
      warnings: r.warnings,
      stats: { ...r.stats, quantizedNodes: r.stats.quantizedNodes.length },
      ...(ctx.calibration && r.stats.method === "gptq"
        ? { report: { calibration: { source: ctx.calibration.source, description: ctx.calibration.description } } }
        : {}),
    };
  },
};
