import { AppError } from "../../../contracts/app-error";
import { PRESETS, findPreset, parsePipelineJson, validatePipeline, type TPipelineSpec } from "../../../contracts/pipeline";
import { createLogger } from "../../logger";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { findModelById } from "../models/find-model-by-id";
import type { TJobWithArtifacts } from "./find-job-by-id";

const logger = createLogger("jobs");

/**
 * Resolves the pipeline from exactly one of a pipeline (object, or JSON text as the CLI sends it) or a preset.
 * Errors point at the step and option, or list the presets.
 */
export function resolvePipeline(input: { pipeline?: unknown; preset?: string }): { pipeline: TPipelineSpec; preset: string | null } {
  const hasPipeline = input.pipeline !== undefined && input.pipeline !== null;
  const hasPreset = input.preset !== undefined && input.preset !== null;
  if (hasPipeline === hasPreset) {
    throw new AppError("BAD_INPUT", { userMessage: "give exactly one of a pipeline or a preset" });
  }
  if (hasPreset) {
    const preset = findPreset(input.preset!);
    if (!preset) {
      throw new AppError("BAD_INPUT", {
        userMessage: `unknown preset "${input.preset}": choose one of ${[...PRESETS.keys()].join(", ")}`,
      });
    }
    return { pipeline: preset.pipeline, preset: preset.name };
  }
  const result = typeof input.pipeline === "string" ? parsePipelineJson(input.pipeline) : validatePipeline(input.pipeline);
  if (!result.ok) throw new AppError("BAD_INPUT", { userMessage: result.error });
  return { pipeline: result.pipeline, preset: null };
}

/** Creates a queued job for a ready model in the caller's workspace and puts it on the queue. */
export async function createJob(
  deps: Pick<TServiceDeps, "prisma" | "enqueueJob">,
  caller: TServiceCaller,
  input: { modelId: string; pipeline?: unknown; preset?: string },
): Promise<TJobWithArtifacts> {
  const { pipeline, preset } = resolvePipeline(input);
  const model = await findModelById(deps, caller, input.modelId);
  if (model.state !== "ready") {
    throw new AppError("CONFLICT", {
      userMessage:
        model.state === "failed"
          ? `model ${model.id} failed validation (${model.error ?? "unknown reason"}): upload it again`
          : `model ${model.id} is not ready yet (it is ${model.state}): finish the upload first`,
    });
  }
  const job = await deps.prisma.job.create({
    data: { workspaceId: caller.workspaceId, modelId: model.id, pipeline: pipeline as object, preset, state: "queued" },
    include: { artifacts: true },
  });
  try {
    await deps.enqueueJob(job.id);
  } catch (err) {
    // The committed queued row is the source of truth: the workers' reaper re-enqueues queued jobs without a
    // pending delivery (server/queue/job-queue.ts), so the user's job is not lost and the request succeeds.
    logger.warn({ err, jobId: job.id }, "enqueueJob failed; the reaper will re-enqueue the job");
  }
  return job;
}
