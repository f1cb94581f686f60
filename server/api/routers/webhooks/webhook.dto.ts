import { z } from "zod";
import type { WebhookEndpoint } from "../../../../generated/prisma/client";
import type { TWebhookMessageWithAttempts } from "../../../services/webhooks/webhook-deliveries";
import { ZWebhookEventType } from "../../../webhooks/webhook-events";

export const ZWebhookEndpointDto = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  /** Why it was disabled: "the receiver answered 410 Gone", "30 deliveries in a row failed (...)", "disabled by a user". */
  disabledReason: z.string().nullable(),
  disabledAt: z.iso.datetime().nullable(),
  consecutiveFailures: z.number().int(),
  /** While set and in the future, deliveries are signed with the previous secret too. */
  previousSecretExpiresAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type TWebhookEndpointDto = z.infer<typeof ZWebhookEndpointDto>;

/** Maps an endpoint row to its DTO (never the secret). */
export function toWebhookEndpointDto(e: WebhookEndpoint): TWebhookEndpointDto {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    disabledAt: e.disabledAt?.toISOString() ?? null,
    consecutiveFailures: e.consecutiveFailures,
    previousSecretExpiresAt: e.previousSecretExpiresAt && e.previousSecretExpiresAt.getTime() > Date.now() ? e.previousSecretExpiresAt.toISOString() : null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

export const ZWebhookAttemptDto = z.object({
  attempt: z.number().int(),
  attemptedAt: z.iso.datetime(),
  /** Null when there was no HTTP answer (timeout, refused address, connection error). */
  statusCode: z.number().int().nullable(),
  latencyMs: z.number().int(),
  /** First 1 KiB of the answer. */
  responseSnippet: z.string().nullable(),
  error: z.string().nullable(),
});

export const ZWebhookMessageDto = z.object({
  /** The `webhook-id` header: the same on every attempt. */
  id: z.string(),
  endpointId: z.string().nullable(),
  /** Destination of a per-job webhook (null for endpoint messages). */
  url: z.string().nullable(),
  jobId: z.string().nullable(),
  eventType: z.string(),
  /** pending (being delivered or waiting for a retry) | delivered | failed */
  state: z.string(),
  attempts: z.number().int(),
  nextAttemptAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.iso.datetime(),
  /** Newest first. */
  attemptsLog: z.array(ZWebhookAttemptDto),
});
export type TWebhookMessageDto = z.infer<typeof ZWebhookMessageDto>;

/** Maps a message (with its attempts) to its DTO. */
export function toWebhookMessageDto(m: Omit<TWebhookMessageWithAttempts, "attemptsLog"> & { attemptsLog?: TWebhookMessageWithAttempts["attemptsLog"] }): TWebhookMessageDto {
  return {
    id: m.id,
    endpointId: m.endpointId,
    url: m.url,
    jobId: m.jobId,
    eventType: m.eventType,
    state: m.state,
    attempts: m.attempts,
    nextAttemptAt: m.state === "pending" ? (m.nextAttemptAt?.toISOString() ?? null) : null,
    lastError: m.lastError,
    createdAt: m.createdAt.toISOString(),
    attemptsLog: (m.attemptsLog ?? []).map((a) => ({
      attempt: a.attempt,
      attemptedAt: a.attemptedAt.toISOString(),
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      responseSnippet: a.responseSnippet,
      error: a.error,
    })),
  };
}

export const ZEndpointIdRequest = z.object({ endpointId: z.string().min(1) });
export const ZEvents = z.array(ZWebhookEventType).min(1, "choose at least one event").max(10);
export const ZWebhookUrl = z.string().trim().min(1).max(2048);
export const ZSecretResponse = z.object({
  /** `whsec_…`: give it to your receiver's Standard Webhooks verifier. */
  secret: z.string(),
});
