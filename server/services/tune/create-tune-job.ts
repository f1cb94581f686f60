import { AppError } from "../../../contracts/app-error";
import { ZTuneGoal, type TTuneGoal } from "../../../contracts/tune";
import { createLogger } from "../../logger";
import { DEFAULT_WEBHOOK_EVENTS, type TWebhookEventType } from "../../webhooks/webhook-events";
import { validateWebhookUrl } from "../webhooks/webhook-target";
import { assertConcurrentJobsQuota, lockWorkspaceJobs } from "../limits/check-quotas";
import { findModelById } from "../models/find-model-by-id";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { getWorkspaceWebhookSecret } from "../webhooks/manage-webhook-endpoints";
import type { TJobWithArtifacts } from "../jobs/find-job-by-id";
import { assertDatasetUsable } from "../jobs/create-job";

const logger = createLogger("tune");

export type TCreateTuneJobInput = {
  modelId: string;
  goal: unknown;
  calibrationDatasetId?: string;
  evaluationDatasetId?: string;
  webhook?: { url: string; events?: TWebhookEventType[] };
};

/** The placeholder pipeline of a tune job until it records the chosen one (the column is NOT NULL). */
export const TUNE_PLACEHOLDER_PIPELINE = { steps: [] } as const;

/** Parses a goal with errors that name the field (e.g. `budget.maxTrials: Too big`). */
export function parseTuneGoal(raw: unknown): TTuneGoal {
  const parsed = ZTuneGoal.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "goal"}: ${i.message}`);
  throw new AppError("BAD_INPUT", { userMessage: `invalid tune goal: ${lines.join("; ")}` });
}

/**
 * Creates a queued tune job (kind "tune") for a ready model of the caller's workspace and hands it to the workers.
 * The coordinator creates the trials; an accuracy floor needs an evaluation dataset (labels come from it).
 */
export async function createTuneJob(
  deps: Pick<TServiceDeps, "prisma" | "enqueueJob" | "enqueueTuneJob"> & Partial<Pick<TServiceDeps, "config">>,
  caller: TServiceCaller,
  input: TCreateTuneJobInput,
): Promise<TJobWithArtifacts> {
  const goal = parseTuneGoal(input.goal);
  if (goal.floor.metric === "accuracy" && !input.evaluationDatasetId) {
    throw new AppError("BAD_INPUT", { userMessage: "an accuracy floor needs an evaluation dataset with labels: pass evaluationDatasetId, or use a cosine floor" });
  }
  const webhookUrl = input.webhook ? validateWebhookUrl({ WEBHOOKS_ALLOW_LOOPBACK: deps.config?.WEBHOOKS_ALLOW_LOOPBACK ?? false }, input.webhook.url) : null;
  const model = await findModelById(deps, caller, input.modelId);
  if (model.state !== "ready") {
    throw new AppError("CONFLICT", { userMessage: `model ${model.id} is not ready yet (it is ${model.state}): finish the upload first` });
  }
  // The same checks as jobs.create: a ready dataset of the workspace whose tensors fit the model's inputs.
  for (const [role, id] of [["calibration", input.calibrationDatasetId], ["evaluation", input.evaluationDatasetId]] as const) {
    if (id) await assertDatasetUsable(deps, caller, id, role, model.summary);
  }
  if (webhookUrl) await getWorkspaceWebhookSecret(deps, caller.workspaceId);
  const job = await deps.prisma.$transaction(async (tx) => {
    await lockWorkspaceJobs(tx, caller.workspaceId);
    await assertConcurrentJobsQuota(tx, deps.config?.QUOTA_CONCURRENT_JOBS ?? 0, caller.workspaceId);
    return tx.job.create({
      data: {
        workspaceId: caller.workspaceId,
        modelId: model.id,
        kind: "tune",
        goal: goal as object,
        pipeline: TUNE_PLACEHOLDER_PIPELINE as object,
        state: "queued",
        webhookUrl,
        webhookEvents: webhookUrl ? [...new Set(input.webhook!.events?.length ? input.webhook!.events : DEFAULT_WEBHOOK_EVENTS)] : [],
        calibrationDatasetId: input.calibrationDatasetId ?? null,
        evaluationDatasetId: input.evaluationDatasetId ?? null,
      },
      include: { artifacts: true },
    });
  });
  try {
    // Straight to the coordinator queue when the deps offer it; otherwise through the job queue, whose consumer
    // forwards tune jobs (worker/jobs/start-worker.ts).
    if (deps.enqueueTuneJob) await deps.enqueueTuneJob(job.id);
    else await deps.enqueueJob(job.id);
  } catch (err) {
    logger.warn({ err, jobId: job.id }, "enqueue failed; the reaper will re-enqueue the tune job");
  }
  return job;
}
