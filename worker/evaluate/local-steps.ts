import { AppError } from "../../contracts/app-error";
import type { TPassName, TPipelineStep } from "../../contracts/pipeline";
import type { TDataSource } from "../data/data-source";
import type { TModelProto } from "../onnx/onnx-proto";
import { runFp16 } from "../passes/fp16/convert-fp16";
import { runInt4Weight } from "../passes/quantize/int4-weight";
import { runInt8Dynamic } from "../passes/quantize/int8-dynamic";
import { calibrateInt8Static, runInt8Static } from "../passes/quantize/int8-static";
import { throwIfAborted } from "../pipeline/abort";

/**
 * Pipeline steps executed through the passes' function APIs, for local runs (`condense run`) and the benchmark.
 * Unlike the platform runner (worker/pipeline), these hand calibration data to the passes and time calibration
 * inference apart from the engine. A typed registry: one entry per pass.
 */

export type TLocalStepContext = {
  /** Calibration data; int8-static falls back to `fallbackCalibration` when absent. */
  calibration?: TDataSource;
  /** Used by passes that cannot run without data (int8-static) when no calibration was given. */
  fallbackCalibration: TDataSource;
  intraOpThreads?: number;
  signal?: AbortSignal;
};

export type TLocalStepResult = {
  model: TModelProto;
  warnings: string[];
  /** Pass statistics for the report (quantized nodes, calibration batches, ...). */
  stats: Record<string, unknown>;
  /** Time spent in calibration inference (0 when the pass has none or it is not separable). */
  calibrationMs: number;
};

type TLocalStepRunner = (model: TModelProto, step: TPipelineStep, ctx: TLocalStepContext) => Promise<TLocalStepResult>;

const LOCAL_STEP_RUNNERS: ReadonlyMap<TPassName, TLocalStepRunner> = new Map<TPassName, TLocalStepRunner>([
  // Measures only; the comparison report analyses both models anyway.
  ["analyze", async (model) => ({ model, warnings: [], stats: {}, calibrationMs: 0 })],
  [
    "int8-static",
    async (model, step, ctx) => {
      if (step.pass !== "int8-static") throw new Error("int8-static runner got another step");
      const calibration = ctx.calibration ?? ctx.fallbackCalibration;
      const t0 = performance.now();
      const { ranges, batches } = await calibrateInt8Static(model, { ...step.options, calibration, intraOpThreads: ctx.intraOpThreads, signal: ctx.signal });
      const calibrationMs = performance.now() - t0;
      const r = await runInt8Static(model, { ...step.options, ranges, signal: ctx.signal });
      const warnings = [...r.warnings];
      if (!ctx.calibration) warnings.unshift("int8-static was calibrated on generated inputs: give real calibration data (--calib) for better accuracy");
      return { model: r.model, warnings, stats: { ...r.stats, calibrationBatches: batches }, calibrationMs };
    },
  ],
  [
    "int8-dynamic",
    async (model, step) => {
      if (step.pass !== "int8-dynamic") throw new Error("int8-dynamic runner got another step");
      const r = runInt8Dynamic(model, step.options);
      return { model: r.model, warnings: r.warnings, stats: r.stats, calibrationMs: 0 };
    },
  ],
  [
    "fp16",
    async (model, step) => {
      if (step.pass !== "fp16") throw new Error("fp16 runner got another step");
      const r = runFp16(model, step.options);
      return { model: r.model, warnings: r.warnings, stats: r.stats, calibrationMs: 0 };
    },
  ],
  [
    "int4-weight",
    async (model, step, ctx) => {
      if (step.pass !== "int4-weight") throw new Error("int4-weight runner got another step");
      // GPTQ's Hessian accumulation is calibration inference inside the pass: not separable, reported as engine time.
      const r = await runInt4Weight(model, { ...step.options, calibration: ctx.calibration, intraOpThreads: ctx.intraOpThreads, signal: ctx.signal });
      return { model: r.model, warnings: r.warnings, stats: r.stats, calibrationMs: 0 };
    },
  ],
]);

/** Runs one pipeline step locally. Throws AppError("BAD_INPUT") for a pass this build cannot run locally. */
export async function runLocalStep(model: TModelProto, step: TPipelineStep, ctx: TLocalStepContext): Promise<TLocalStepResult> {
  throwIfAborted(ctx.signal);
  const runner = LOCAL_STEP_RUNNERS.get(step.pass);
  if (!runner) {
    throw new AppError("BAD_INPUT", {
      userMessage: `the pass "${step.pass}" cannot run locally; available: ${[...LOCAL_STEP_RUNNERS.keys()].join(", ")}`,
    });
  }
  return runner(model, step, ctx);
}
