import { createHash } from "node:crypto";
import { AppError } from "../../../contracts/app-error";
import { PRESETS, findPreset, parsePipelineJson, validatePipeline, type TPipelineSpec } from "../../../contracts/pipeline";
import { createLogger } from "../../logger";
import { DEFAULT_WEBHOOK_EVENTS, type TWebhookEventType } from "../../webhooks/webhook-events";
import { assertConcurrentJobsQuota, lockWorkspaceJobs } from "../limits/check-quotas";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { getWorkspaceWebhookSecret } from "../webhooks/manage-webhook-endpoints";
import { validateWebhookUrl } from "../webhooks/webhook-target";
import { checkDatasetFitsModel, ZDatasetSummary } from "../../../worker/data/dataset-files";
import { findDatasetById } from "../datasets/find-dataset-by-id";
import { findModelById } from "../models/find-model-by-id";
import { ZTensorInfo } from "../../../contracts/report";
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

/** A per-job webhook (like Replicate's `webhook` + `webhook_events_filter`). */
export type TJobWebhookInput = { url: string; events?: TWebhookEventType[] };

export type TCreateJobInput = {
  modelId: string;
  pipeline?: unknown;
  preset?: string;
  webhook?: TJobWebhookInput;
  calibrationDatasetId?: string;
  evaluationDatasetId?: string;
};

/**
 * SHA-256 of the request as the server understood it (the resolved pipeline, not its spelling), so a retry that
 * sends the same job as an object instead of JSON text still counts as the same request.
 */
export function hashJobRequest(input: TCreateJobInput, resolved: { pipeline: TPipelineSpec; preset: string | null }): string {
  const canonical = JSON.stringify({
    modelId: input.modelId,
    pipeline: resolved.pipeline,
    preset: resolved.preset,
    webhook: input.webhook ? { url: input.webhook.url, events: [...(input.webhook.events ?? DEFAULT_WEBHOOK_EVENTS)].sort() } : null,
    calibrationDatasetId: input.calibrationDatasetId ?? null,
    evaluationDatasetId: input.evaluationDatasetId ?? null,
  });
  return createHash("sha256").update(canonical).digest("hex");
}

/**
 * Creates a queued job for a ready model in the caller's workspace and puts it on the queue.
 * With an `idempotencyKey`, a retry with the same key and body returns the first job (nothing new is queued) and the
 * same key with a different body is UNPROCESSABLE (422). Keys are per workspace and live IDEMPOTENCY_TTL_HOURS.
 * The concurrent-jobs quota and the key are checked under one per-workspace lock, so racing retries cannot create two.
 */
export async function createJob(
  deps: Pick<TServiceDeps, "prisma" | "enqueueJob"> & Partial<Pick<TServiceDeps, "config">>,
  caller: TServiceCaller,
  input: TCreateJobInput,
  opts: { idempotencyKey?: string } = {},
): Promise<TJobWithArtifacts> {
  const resolved = resolvePipeline(input);
  const { pipeline, preset } = resolved;
  const webhookUrl = input.webhook ? validateWebhookUrl({ WEBHOOKS_ALLOW_LOOPBACK: deps.config?.WEBHOOKS_ALLOW_LOOPBACK ?? false }, input.webhook.url) : null;
  const model = await findModelById(deps, caller, input.modelId);
  if (model.state !== "ready") {
    throw new AppError("CONFLICT", {
      userMessage:
        model.state === "failed"
          ? `model ${model.id} failed validation (${model.error ?? "unknown reason"}): upload it again`
          : `model ${model.id} is not ready yet (it is ${model.state}): finish the upload first`,
    });
  }
  for (const role of ["calibration", "evaluation"] as const) {
    const datasetId = role === "calibration" ? input.calibrationDatasetId : input.evaluationDatasetId;
    if (datasetId) await assertDatasetUsable(deps, caller, datasetId, role, model.summary);
  }
  await assertStudentModelsUsable(deps, caller, pipeline);
  // Per-job webhooks are signed with the workspace secret: make sure it exists before the first event.
  if (webhookUrl) await getWorkspaceWebhookSecret(deps, caller.workspaceId);
  const requestHash = opts.idempotencyKey ? hashJobRequest(input, resolved) : undefined;
  const ttlMs = (deps.config?.IDEMPOTENCY_TTL_HOURS ?? 24) * 3600_000;
  const outcome = await deps.prisma.$transaction(async (tx) => {
    await lockWorkspaceJobs(tx, caller.workspaceId);
    if (opts.idempotencyKey) {
      // Expired keys of this workspace go here, under the lock, so the table needs no background cleanup.
      await tx.idempotencyKey.deleteMany({ where: { workspaceId: caller.workspaceId, createdAt: { lt: new Date(Date.now() - ttlMs) } } });
      const previous = await tx.idempotencyKey.findUnique({ where: { workspaceId_key: { workspaceId: caller.workspaceId, key: opts.idempotencyKey } } });
      if (previous && previous.createdAt.getTime() > Date.now() - ttlMs) {
        if (previous.requestHash !== requestHash) {
          throw new AppError("UNPROCESSABLE", {
            userMessage: "this Idempotency-Key was already used for a different request: use a new key for a new job",
          });
        }
        const job = await tx.job.findFirst({ where: { id: previous.jobId, workspaceId: caller.workspaceId }, include: { artifacts: { orderBy: { name: "asc" } } } });
        if (job) return { job, created: false };
      }
    }
    await assertConcurrentJobsQuota(tx, deps.config?.QUOTA_CONCURRENT_JOBS ?? 0, caller.workspaceId);
    const job = await tx.job.create({
      data: {
        workspaceId: caller.workspaceId,
        modelId: model.id,
        pipeline: pipeline as object,
        preset,
        state: "queued",
        webhookUrl,
        calibrationDatasetId: input.calibrationDatasetId ?? null,
        evaluationDatasetId: input.evaluationDatasetId ?? null,
        webhookEvents: webhookUrl ? [...new Set(input.webhook!.events?.length ? input.webhook!.events : DEFAULT_WEBHOOK_EVENTS)] : [],
      },
      include: { artifacts: true },
    });
    if (opts.idempotencyKey) {
      await tx.idempotencyKey.upsert({
        where: { workspaceId_key: { workspaceId: caller.workspaceId, key: opts.idempotencyKey } },
        create: { workspaceId: caller.workspaceId, key: opts.idempotencyKey, requestHash: requestHash!, jobId: job.id },
        update: { requestHash: requestHash!, jobId: job.id, createdAt: new Date() },
      });
    }
    return { job, created: true };
  });
  if (!outcome.created) return outcome.job;
  const job = outcome.job;
  try {
    await deps.enqueueJob(job.id);
  } catch (err) {
    // The committed queued row is the source of truth: the workers' reaper re-enqueues queued jobs without a
    // pending delivery (server/queue/job-queue.ts), so the user's job is not lost and the request succeeds.
    logger.warn({ err, jobId: job.id }, "enqueueJob failed; the reaper will re-enqueue the job");
  }
  return job;
}

/**
 * A job's calibration/evaluation dataset must be a ready dataset of the workspace; when the model's inputs are
 * known, names, dtypes and shapes are checked now, so a mismatch is a BAD_INPUT at create time and not a failed job.
 */
export async function assertDatasetUsable(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  datasetId: string,
  role: "calibration" | "evaluation",
  modelSummary: unknown,
): Promise<void> {
  const dataset = await findDatasetById(deps, caller, datasetId);
  if (dataset.state !== "ready") {
    throw new AppError("CONFLICT", {
      userMessage:
        dataset.state === "failed"
          ? `${role} dataset ${dataset.name} failed validation (${dataset.error ?? "unknown reason"}): upload it again`
          : `${role} dataset ${dataset.name} is not ready yet (it is ${dataset.state}): finish the upload first`,
    });
  }
  const inputs = ZTensorInfo.array().safeParse((modelSummary as { inputs?: unknown } | null)?.inputs);
  const summary = ZDatasetSummary.safeParse(dataset.summary);
  if (!inputs.success || !summary.success) return; // not checkable here: the worker checks when it opens the data
  checkDatasetFitsModel(summary.data, inputs.data, `${role} dataset ${dataset.name}`);
}

/** A distill step's `studentModelId` must name a ready model of the caller's workspace (someone else's id: NOT_FOUND). */
async function assertStudentModelsUsable(deps: Pick<TServiceDeps, "prisma">, caller: TServiceCaller, pipeline: TPipelineSpec): Promise<void> {
  for (const step of pipeline.steps) {
    if (step.pass !== "distill" || !step.options.studentModelId) continue;
    const student = await findModelById(deps, caller, step.options.studentModelId);
    if (student.state !== "ready") {
      throw new AppError("CONFLICT", { userMessage: `the student model ${student.name} is not ready (it is ${student.state}): finish its upload first` });
    }
  }
}
