import type PgBoss from "pg-boss";
import type { TConfig } from "../config";
import type { PrismaClient } from "../db/prisma";
import { createLogger, type Logger } from "../logger";
import type { TJobQueue } from "../queue/job-queue";
import { snapshotToJobDto } from "./record-job-event";
import { computeRetryDelayMs } from "./retry-schedule";
import { sendWebhookRequest, type TWebhookResponse } from "./send-webhook-request";
import { createWebhookMessageId, signWebhook } from "./webhook-signing";
import { WEBHOOK_EVENT_HEADER, WEBHOOK_QUEUE_NAME } from "./webhook-events";

/**
 * The webhook delivery engine, run inside every worker process:
 * 1. the outbox loop turns JobEvent rows into one WebhookMessage per destination (subscribed enabled endpoints and
 *    the job's own webhook URL) and sends a pg-boss delivery for each, in ONE transaction with deleting the event;
 *    it also enqueues messages the API created without a delivery (test events, manual redeliveries);
 * 2. pg-boss consumers on WEBHOOK_QUEUE_NAME make one HTTP attempt per delivery, log it, and on failure schedule
 *    the next attempt as a new pg-boss job (`startAfter` = the published backoff), committed together with the log
 *    row. The webhook-id is the message id, the same on every attempt.
 * Several workers can run this at once: every step claims rows with `FOR UPDATE SKIP LOCKED` or a guarded UPDATE.
 */

export type TWebhookDispatcherConfig = Pick<
  TConfig,
  "WEBHOOKS_ALLOW_LOOPBACK" | "WEBHOOK_TIMEOUT_MS" | "WEBHOOK_RETRY_SCHEDULE_SECONDS" | "WEBHOOK_DISABLE_AFTER_FAILURES"
>;

export type TWebhookDispatcherOptions = {
  queue: TJobQueue;
  prisma: PrismaClient;
  config: TWebhookDispatcherConfig;
  logger?: Logger;
  /** How often the outbox is read; events wait at most this long (plus pg-boss polling) before delivery. */
  outboxIntervalMs?: number;
  /** Deliveries in flight at once per process. */
  concurrency?: number;
  /** pg-boss polling interval of the delivery consumers. */
  pollingIntervalSeconds?: number;
  /** Days the delivery log of finished messages is kept (default 30). */
  retentionDays?: number;
};

export type TWebhookDispatcher = {
  /** Runs one outbox pass now; resolves with the number of messages enqueued. */
  dispatchOnce: () => Promise<number>;
  stop: () => Promise<void>;
};

type TDeliveryMessage = { messageId: string };

const UTC_NOW = "(now() AT TIME ZONE 'UTC')";
/** A JS Date as a `timestamp(3)` in UTC, whatever the server's TimeZone. */
const utc = (param: string) => `(${param}::timestamptz AT TIME ZONE 'UTC')`;

/** Starts the outbox loop and the delivery consumers on the worker's queue. */
export async function startWebhookDispatcher(opts: TWebhookDispatcherOptions): Promise<TWebhookDispatcher> {
  const { queue, prisma, config } = opts;
  const logger = opts.logger ?? createLogger("webhooks");
  await queue.boss.createQueue(WEBHOOK_QUEUE_NAME, {
    name: WEBHOOK_QUEUE_NAME,
    policy: "standard",
    // pg-boss retries only cover a handler that crashed or threw (database unreachable); HTTP failures are ours.
    retryLimit: 5,
    retryDelay: 10,
    retryBackoff: true,
    expireInSeconds: Math.ceil(config.WEBHOOK_TIMEOUT_MS / 1000) + 60,
  });

  const dispatchOnce = async (): Promise<number> => {
    const fannedOut = await queue.withTransaction(async (client, db) => {
      const events = await client.query<{ id: string; workspaceId: string; jobId: string; type: string; snapshot: unknown }>(
        `DELETE FROM "JobEvent" WHERE id IN (
           SELECT id FROM "JobEvent" ORDER BY "createdAt" LIMIT 100 FOR UPDATE SKIP LOCKED
         ) RETURNING id, "workspaceId", "jobId", type, snapshot`,
      );
      let sent = 0;
      for (const ev of events.rows.sort((a, b) => a.id.localeCompare(b.id))) {
        const endpoints = await client.query<{ id: string }>(
          `SELECT id FROM "WebhookEndpoint" WHERE "workspaceId" = $1 AND enabled AND $2 = ANY(events)`,
          [ev.workspaceId, ev.type],
        );
        const job = await client.query<{ webhookUrl: string | null; webhookEvents: string[] | null }>(
          `SELECT "webhookUrl", "webhookEvents" FROM "Job" WHERE id = $1`,
          [ev.jobId],
        );
        const targets: { endpointId: string | null; url: string | null }[] = endpoints.rows.map((e) => ({ endpointId: e.id, url: null }));
        const own = job.rows[0];
        if (own?.webhookUrl && (own.webhookEvents ?? []).includes(ev.type)) targets.push({ endpointId: null, url: own.webhookUrl });
        if (targets.length === 0) continue;
        const payload = JSON.stringify(snapshotToJobDto(ev.snapshot));
        for (const target of targets) {
          const messageId = createWebhookMessageId();
          await client.query(
            `INSERT INTO "WebhookMessage" (id, "workspaceId", "endpointId", url, "jobId", "eventType", payload, state, attempts, "enqueuedAt", "createdAt", "updatedAt")
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, ${UTC_NOW}, ${UTC_NOW}, ${UTC_NOW})`,
            [messageId, ev.workspaceId, target.endpointId, target.url, ev.jobId, ev.type, payload],
          );
          await queue.boss.send(WEBHOOK_QUEUE_NAME, { messageId } satisfies TDeliveryMessage, { db });
          sent++;
        }
      }
      return sent;
    });
    const adopted = await queue.withTransaction(async (client, db) => {
      const rows = await client.query<{ id: string }>(
        `UPDATE "WebhookMessage" SET "enqueuedAt" = ${UTC_NOW}, "updatedAt" = ${UTC_NOW} WHERE id IN (
           SELECT id FROM "WebhookMessage" WHERE "enqueuedAt" IS NULL AND state = 'pending' LIMIT 100 FOR UPDATE SKIP LOCKED
         ) RETURNING id`,
      );
      for (const row of rows.rows) await queue.boss.send(WEBHOOK_QUEUE_NAME, { messageId: row.id } satisfies TDeliveryMessage, { db });
      return rows.rows.length;
    });
    return fannedOut + adopted;
  };

  const failMessage = async (messageId: string, reason: string): Promise<void> => {
    await prisma.webhookMessage.updateMany({ where: { id: messageId, state: "pending" }, data: { state: "failed", lastError: reason, nextAttemptAt: null } });
  };

  /** One HTTP attempt of one message, and what follows from its outcome. Throws only on infrastructure errors. */
  const deliver = async (messageId: string): Promise<void> => {
    const message = await prisma.webhookMessage.findUnique({ where: { id: messageId }, include: { endpoint: true } });
    // Delivered, failed, or deleted with its endpoint: a duplicate pg-boss delivery has nothing to do.
    if (!message || message.state !== "pending") return;
    let url: string;
    let secrets: string[];
    const endpoint = message.endpoint;
    if (message.endpointId) {
      if (!endpoint) return;
      if (!endpoint.enabled) return failMessage(messageId, `not sent: the endpoint is disabled (${endpoint.disabledReason ?? "by a user"})`);
      url = endpoint.url;
      const now = Date.now();
      secrets = [endpoint.secret];
      if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > now) secrets.push(endpoint.previousSecret);
    } else {
      const workspace = await prisma.workspace.findUnique({ where: { id: message.workspaceId }, select: { webhookSecret: true } });
      if (!message.url || !workspace?.webhookSecret) return failMessage(messageId, "not sent: the job's webhook has no URL or signing secret");
      url = message.url;
      secrets = [workspace.webhookSecret];
    }
    const attempt = message.attempts + 1;
    // Claim the attempt number first: of two concurrent deliveries of one message only one sends.
    const claimed = await prisma.webhookMessage.updateMany({ where: { id: messageId, state: "pending", attempts: message.attempts }, data: { attempts: attempt } });
    if (claimed.count !== 1) return;

    const timestamp = new Date();
    const response = await sendWebhookRequest({
      url,
      body: message.payload,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      allowLoopback: config.WEBHOOKS_ALLOW_LOOPBACK,
      headers: {
        "user-agent": "Condense-Webhooks/1.0",
        "webhook-id": message.id,
        "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
        "webhook-signature": signWebhook(secrets, message.id, timestamp, message.payload),
        [WEBHOOK_EVENT_HEADER]: message.eventType,
      },
    });
    await recordAttempt(message, attempt, timestamp, response);
  };

  const recordAttempt = async (
    message: { id: string; endpointId: string | null; retryBase: number },
    attempt: number,
    attemptedAt: Date,
    response: TWebhookResponse,
  ): Promise<void> => {
    await queue.withTransaction(async (client, db) => {
      await client.query(
        `INSERT INTO "WebhookAttempt" (id, "messageId", attempt, "attemptedAt", "statusCode", "latencyMs", "responseSnippet", error)
         VALUES ($1, $2, $3, ${utc("$4")}, $5, $6, $7, $8)`,
        [createWebhookMessageId().replace(/^msg_/, "att_"), message.id, attempt, attemptedAt.toISOString(), response.statusCode, response.latencyMs, response.responseSnippet, response.error],
      );
      if (response.ok) {
        await client.query(
          `UPDATE "WebhookMessage" SET state = 'delivered', "lastError" = NULL, "nextAttemptAt" = NULL, "updatedAt" = ${UTC_NOW} WHERE id = $1 AND attempts = $2`,
          [message.id, attempt],
        );
        if (message.endpointId) await client.query(`UPDATE "WebhookEndpoint" SET "consecutiveFailures" = 0 WHERE id = $1`, [message.endpointId]);
        return;
      }
      let endpointEnabled = true;
      if (message.endpointId) {
        const gone = response.statusCode === 410;
        const res = await client.query<{ enabled: boolean }>(
          `UPDATE "WebhookEndpoint" SET "consecutiveFailures" = "consecutiveFailures" + 1,
             enabled = CASE WHEN $2 OR "consecutiveFailures" + 1 >= $3 THEN false ELSE enabled END,
             "disabledAt" = CASE WHEN enabled AND ($2 OR "consecutiveFailures" + 1 >= $3) THEN ${UTC_NOW} ELSE "disabledAt" END,
             "disabledReason" = CASE
               WHEN enabled AND $2 THEN 'the receiver answered 410 Gone'
               WHEN enabled AND "consecutiveFailures" + 1 >= $3 THEN ("consecutiveFailures" + 1) || ' deliveries in a row failed (last: ' || $4 || ')'
               ELSE "disabledReason" END,
             "updatedAt" = ${UTC_NOW}
           WHERE id = $1 RETURNING enabled`,
          [message.endpointId, gone, config.WEBHOOK_DISABLE_AFTER_FAILURES, response.error ?? "unknown error"],
        );
        endpointEnabled = res.rows[0]?.enabled ?? false;
      }
      const delayMs = endpointEnabled ? computeRetryDelayMs(attempt - message.retryBase, config.WEBHOOK_RETRY_SCHEDULE_SECONDS) : undefined;
      if (delayMs === undefined) {
        const reason = endpointEnabled ? `${response.error} (gave up after ${attempt - message.retryBase} attempts)` : `${response.error} (endpoint disabled)`;
        await client.query(
          `UPDATE "WebhookMessage" SET state = 'failed', "lastError" = $3, "nextAttemptAt" = NULL, "updatedAt" = ${UTC_NOW} WHERE id = $1 AND attempts = $2`,
          [message.id, attempt, reason],
        );
        return;
      }
      const next = new Date(Date.now() + delayMs);
      await client.query(
        `UPDATE "WebhookMessage" SET "lastError" = $3, "nextAttemptAt" = ${utc("$4")}, "updatedAt" = ${UTC_NOW} WHERE id = $1 AND attempts = $2`,
        [message.id, attempt, response.error, next.toISOString()],
      );
      await queue.boss.send(WEBHOOK_QUEUE_NAME, { messageId: message.id } satisfies TDeliveryMessage, { startAfter: next, db });
    });
  };

  const onDelivery = async (deliveries: PgBoss.Job<TDeliveryMessage>[]): Promise<void> => {
    for (const d of deliveries) {
      if (typeof d.data?.messageId !== "string") continue;
      try {
        await deliver(d.data.messageId);
      } catch (err) {
        logger.warn({ err, messageId: d.data.messageId }, "webhook delivery crashed; pg-boss will retry it");
        throw err;
      }
    }
  };
  const concurrency = opts.concurrency ?? 4;
  for (let i = 0; i < concurrency; i++) {
    await queue.boss.work<TDeliveryMessage>(WEBHOOK_QUEUE_NAME, { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 0.5 }, onDelivery);
  }

  /** Finished messages (and their attempt logs) are kept this long, then pruned. */
  const retentionDays = opts.retentionDays ?? 30;
  let lastPruneMs = 0;
  const pruneIfDue = async (): Promise<void> => {
    if (Date.now() - lastPruneMs < 3600_000) return;
    lastPruneMs = Date.now();
    await queue.pool.query(
      `DELETE FROM "WebhookMessage" WHERE state <> 'pending' AND "createdAt" < ${UTC_NOW} - make_interval(days => $1)`,
      [retentionDays],
    );
  };

  let stopped = false;
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (stopped || running) return;
    running = pruneIfDue()
      .then(() => dispatchOnce())
      .catch((err) => logger.warn({ err }, "webhook outbox pass failed"))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, opts.outboxIntervalMs ?? 500);
  tick();

  return {
    dispatchOnce,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await running;
      await queue.boss.offWork(WEBHOOK_QUEUE_NAME).catch(() => undefined);
    },
  };
}
