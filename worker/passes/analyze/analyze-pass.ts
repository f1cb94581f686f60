/**
 * The `analyze` pipeline pass: measures latency of the model it receives in onnxruntime on generated inputs.
 * (The static analysis is done by the runner for every pipeline, so report.original.analysis is always present.)
 */
import { AppError } from "../../../contracts/app-error";
import type { TPipelineStep } from "../../../contracts/pipeline";
import { describeGeneratedInputs, generateRunnableInputs } from "../../data/generate-inputs";
import { measureLatency } from "../../evaluate/measure-latency";
import { encodeModel } from "../../onnx/model-io";
import type { TModelProto } from "../../onnx/onnx-proto";
import type { TPassContext, TPassHandler, TPassOutput } from "../../pipeline/pass-registry";
import { createInferenceSession, type TInferenceSession } from "../../runtime/ort";

type TAnalyzeOptions = Extract<TPipelineStep, { pass: "analyze" }>["options"];

/** Creates a session, turning runtime load failures into a message about the user's model. */
export async function createSessionForModel(bytes: Uint8Array, what = "the model"): Promise<TInferenceSession> {
  try {
    return await createInferenceSession(bytes);
  } catch (err) {
    const detail = (err as Error).message?.split("\n")[0] ?? String(err);
    throw new AppError("UNPROCESSABLE", {
      userMessage: `onnxruntime could not load ${what}: ${detail}`,
      message: `session creation failed: ${detail}`,
      cause: err,
    });
  }
}

async function runAnalyze(model: TModelProto, ctx: TPassContext<TAnalyzeOptions>): Promise<TPassOutput> {
  const { options } = ctx;
  ctx.reportProgress(0, "loading the model in onnxruntime");
  const bytes = ctx.modelBytes ?? encodeModel(model);
  const session = await createSessionForModel(bytes);
  try {
    let latency;
    let feeds;
    let genOpts;
    try {
      ({ feeds, options: genOpts } = await generateRunnableInputs(session, model, { dynamicDimSize: options.dynamicDimSize, seed: 0 }));
      ctx.reportProgress(0.05, "measuring latency");
      latency = await measureLatency(session, feeds, {
        warmupRuns: options.warmupRuns,
        runs: options.latencyRuns,
        signal: ctx.signal,
        onProgress: (f) => ctx.reportProgress(0.05 + 0.95 * f, "measuring latency"),
      });
    } catch (err) {
      if ((err as { name?: string }).name === "AbortError" || err instanceof AppError) throw err;
      const detail = (err as Error).message?.split("\n")[0] ?? String(err);
      throw new AppError("UNPROCESSABLE", {
        userMessage: `the model failed to run in onnxruntime on generated inputs: ${detail}`,
        message: `analyze run failed: ${detail}`,
        cause: err,
      });
    }
    const latencyMs = { p50: latency.p50, p95: latency.p95, runs: latency.runs };
    ctx.logger?.info({ latencyMs, intraOpThreads: session.intraOpThreads }, "analyze: latency measured");
    return {
      report: {
        ...(ctx.isTransformed ? { compressed: { latencyMs } } : { original: { latencyMs } }),
        inputs: { source: "generated", description: describeGeneratedInputs(feeds, genOpts) },
        provenance: { intraOpThreads: session.intraOpThreads, executionProvider: session.executionProvider },
      },
    };
  } finally {
    await session.release();
  }
}

/** Registry entry for `analyze`. */
export const ANALYZE_PASS: TPassHandler<"analyze"> = {
  pass: "analyze",
  stage: "analyze",
  progressWeight: 1,
  run: runAnalyze,
};
