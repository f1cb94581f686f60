import { AppError } from "../../../contracts/app-error";
import type { WebhookAttempt, WebhookMessage } from "../../../generated/prisma/client";
import { WEBHOOK_TEST_EVENT } from "../../webhooks/webhook-events";
import { createWebhookMessageId } from "../../webhooks/webhook-signing";
import type { TJobDto } from "../jobs/job-dto";
import { assertCursorInWorkspace, toPage, type TPage } from "../pagination";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { findWebhookEndpoint } from "./manage-webhook-endpoints";

export type TWebhookMessageWithAttempts = WebhookMessage & { attemptsLog: WebhookAttempt[] };

/** Attempts shown per message in the log (the default schedule has 8 per round). */
const ATTEMPTS_SHOWN = 20;

/** The delivery log, newest first: per message its state and every attempt (time, status, latency, snippet). */
export async function listWebhookMessages(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  input: { limit: number; cursor?: string | null; endpointId?: string; jobId?: string },
): Promise<TPage<TWebhookMessageWithAttempts>> {
  if (input.cursor) await assertCursorInWorkspace(deps.prisma.webhookMessage, caller.workspaceId, input.cursor);
  const rows = await deps.prisma.webhookMessage.findMany({
    where: {
      workspaceId: caller.workspaceId,
      ...(input.endpointId ? { endpointId: input.endpointId } : {}),
      ...(input.jobId ? { jobId: input.jobId } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    include: { attemptsLog: { orderBy: { attemptedAt: "desc" }, take: ATTEMPTS_SHOWN } },
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  return toPage(rows, input.limit);
}

/**
 * Sends a message again (same webhook-id, same body) with a fresh round of retries. A worker picks it up within a
 * second; CONFLICT while it is still being retried.
 */
export async function redeliverWebhookMessage(deps: Pick<TServiceDeps, "prisma">, caller: TServiceCaller, messageId: string): Promise<WebhookMessage> {
  const message = await deps.prisma.webhookMessage.findFirst({ where: { id: messageId, workspaceId: caller.workspaceId } });
  if (!message) throw new AppError("NOT_FOUND", { userMessage: `webhook message ${messageId} not found` });
  if (message.state === "pending") throw new AppError("CONFLICT", { userMessage: "this message is still being delivered: wait for it to succeed or fail" });
  const updated = await deps.prisma.webhookMessage.updateMany({
    where: { id: message.id, state: message.state },
    data: { state: "pending", enqueuedAt: null, retryBase: message.attempts, nextAttemptAt: new Date(), lastError: null },
  });
  if (updated.count !== 1) throw new AppError("CONFLICT", { userMessage: "this message changed meanwhile: reload and try again" });
  return deps.prisma.webhookMessage.findUniqueOrThrow({ where: { id: message.id } });
}

/** The body of test events: a realistic finished job, marked by its id so receivers can tell it is not real. */
export function buildTestJobDto(now = new Date()): TJobDto {
  const iso = now.toISOString();
  return {
    id: "job_test_event",
    modelId: "model_test_event",
    state: "succeeded",
    stage: "done",
    progress: 1,
    attempts: 1,
    error: null,
    preset: "analyze",
    pipeline: { steps: [{ pass: "analyze", options: { latencyRuns: 20, warmupRuns: 3, dynamicDimSize: 1 } }] },
    result: null,
    artifacts: [],
    createdAt: iso,
    startedAt: iso,
    finishedAt: iso,
    cancelRequestedAt: null,
    updatedAt: iso,
    webhookUrl: null,
    webhookEvents: [],
    kind: "compress",
    parentJobId: null,
    goal: null,
    calibrationDatasetId: null,
    evaluationDatasetId: null,
  };
}

/** Queues a `webhook.test` delivery to an enabled endpoint; the log shows its attempts like any other message. */
export async function sendTestWebhook(deps: Pick<TServiceDeps, "prisma">, caller: TServiceCaller, endpointId: string): Promise<WebhookMessage> {
  const endpoint = await findWebhookEndpoint(deps, caller, endpointId);
  if (!endpoint.enabled) {
    throw new AppError("CONFLICT", { userMessage: `the endpoint is disabled (${endpoint.disabledReason ?? "by a user"}): enable it, then send the test again` });
  }
  return deps.prisma.webhookMessage.create({
    data: {
      id: createWebhookMessageId(),
      workspaceId: caller.workspaceId,
      endpointId: endpoint.id,
      eventType: WEBHOOK_TEST_EVENT,
      payload: JSON.stringify(buildTestJobDto()),
      state: "pending",
      nextAttemptAt: new Date(),
    },
  });
}
