import { AppError } from "../../../contracts/app-error";
import type { WebhookEndpoint } from "../../../generated/prisma/client";
import { DEFAULT_WEBHOOK_EVENTS, type TWebhookEventType } from "../../webhooks/webhook-events";
import { createWebhookSecret } from "../../webhooks/webhook-signing";
import { assertCursorInWorkspace, toPage, type TPage } from "../pagination";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { validateWebhookUrl } from "./webhook-target";

/** Endpoints a workspace may have; each costs a delivery per event. */
export const MAX_WEBHOOK_ENDPOINTS = 20;

/** The endpoint of the caller's workspace, or NOT_FOUND. */
export async function findWebhookEndpoint(deps: Pick<TServiceDeps, "prisma">, caller: TServiceCaller, endpointId: string): Promise<WebhookEndpoint> {
  const endpoint = await deps.prisma.webhookEndpoint.findFirst({ where: { id: endpointId, workspaceId: caller.workspaceId } });
  if (!endpoint) throw new AppError("NOT_FOUND", { userMessage: `webhook endpoint ${endpointId} not found` });
  return endpoint;
}

/** Adds an endpoint with a fresh `whsec_` secret (returned in the row: the caller shows it). */
export async function createWebhookEndpoint(
  deps: Pick<TServiceDeps, "prisma" | "config">,
  caller: TServiceCaller,
  input: { url: string; events?: TWebhookEventType[]; description?: string },
): Promise<WebhookEndpoint> {
  const url = validateWebhookUrl(deps.config, input.url);
  const count = await deps.prisma.webhookEndpoint.count({ where: { workspaceId: caller.workspaceId } });
  if (count >= MAX_WEBHOOK_ENDPOINTS) {
    throw new AppError("CONFLICT", { userMessage: `a workspace can have at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints: delete one first` });
  }
  return deps.prisma.webhookEndpoint.create({
    data: {
      workspaceId: caller.workspaceId,
      url,
      events: [...new Set(input.events?.length ? input.events : DEFAULT_WEBHOOK_EVENTS)],
      description: input.description ?? null,
      secret: createWebhookSecret(),
    },
  });
}

/** The workspace's endpoints, newest first. */
export async function listWebhookEndpoints(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  input: { limit: number; cursor?: string | null },
): Promise<TPage<WebhookEndpoint>> {
  if (input.cursor) await assertCursorInWorkspace(deps.prisma.webhookEndpoint, caller.workspaceId, input.cursor);
  const rows = await deps.prisma.webhookEndpoint.findMany({
    where: { workspaceId: caller.workspaceId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  return toPage(rows, input.limit);
}

/**
 * Changes URL, events, description or enabled. Enabling clears the disable reason and the failure count, so an
 * endpoint that was disabled for failing gets a fresh start.
 */
export async function updateWebhookEndpoint(
  deps: Pick<TServiceDeps, "prisma" | "config">,
  caller: TServiceCaller,
  input: { endpointId: string; url?: string; events?: TWebhookEventType[]; description?: string | null; enabled?: boolean },
): Promise<WebhookEndpoint> {
  const endpoint = await findWebhookEndpoint(deps, caller, input.endpointId);
  const url = input.url === undefined ? undefined : validateWebhookUrl(deps.config, input.url);
  if (input.events && input.events.length === 0) throw new AppError("BAD_INPUT", { userMessage: "choose at least one event" });
  return deps.prisma.webhookEndpoint.update({
    where: { id: endpoint.id },
    data: {
      ...(url !== undefined ? { url } : {}),
      ...(input.events ? { events: [...new Set(input.events)] } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.enabled === true ? { enabled: true, disabledReason: null, disabledAt: null, consecutiveFailures: 0 } : {}),
      ...(input.enabled === false && endpoint.enabled ? { enabled: false, disabledReason: "disabled by a user", disabledAt: new Date() } : {}),
    },
  });
}

/** Deletes an endpoint with its delivery log; pending deliveries to it are dropped. */
export async function deleteWebhookEndpoint(deps: Pick<TServiceDeps, "prisma">, caller: TServiceCaller, endpointId: string): Promise<void> {
  const endpoint = await findWebhookEndpoint(deps, caller, endpointId);
  await deps.prisma.webhookEndpoint.delete({ where: { id: endpoint.id } });
}

/**
 * Replaces the endpoint's secret. For WEBHOOK_ROTATION_GRACE_HOURS deliveries carry signatures with the old and the
 * new secret, so the receiver can switch over without dropping a message.
 */
export async function rotateWebhookSecret(
  deps: Pick<TServiceDeps, "prisma" | "config">,
  caller: TServiceCaller,
  endpointId: string,
): Promise<WebhookEndpoint> {
  const endpoint = await findWebhookEndpoint(deps, caller, endpointId);
  return deps.prisma.webhookEndpoint.update({
    where: { id: endpoint.id },
    data: {
      secret: createWebhookSecret(),
      previousSecret: endpoint.secret,
      previousSecretExpiresAt: new Date(Date.now() + deps.config.WEBHOOK_ROTATION_GRACE_HOURS * 3600_000),
    },
  });
}

/**
 * The workspace's signing secret for per-job webhooks (jobs.create `webhook`), created on first use. The conditional
 * update makes two concurrent first calls agree on one secret.
 */
export async function getWorkspaceWebhookSecret(deps: Pick<TServiceDeps, "prisma">, workspaceId: string): Promise<string> {
  const existing = await deps.prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId }, select: { webhookSecret: true } });
  if (existing.webhookSecret) return existing.webhookSecret;
  await deps.prisma.workspace.updateMany({ where: { id: workspaceId, webhookSecret: null }, data: { webhookSecret: createWebhookSecret() } });
  const created = await deps.prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId }, select: { webhookSecret: true } });
  return created.webhookSecret!;
}
