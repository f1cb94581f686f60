import { z } from "zod";

/**
 * Events a webhook can subscribe to. The body of every job event is the job as jobs.get returns it
 * (server/services/jobs/job-dto.ts); the event type travels in the `condense-event` header.
 */
export const WEBHOOK_EVENT_TYPES = [
  /** A worker claimed the job (state "running"). Sent again when a retry after a worker crash starts. */
  "job.started",
  /** Stage/progress changed; throttled to one per WEBHOOK_PROGRESS_MIN_INTERVAL_SECONDS per job. */
  "job.progress",
  /** Finished with published artifacts. */
  "job.succeeded",
  /** Finished without artifacts; `error` says why. */
  "job.failed",
  /** Canceled by a user. */
  "job.canceled",
] as const;

export const ZWebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);
export type TWebhookEventType = z.infer<typeof ZWebhookEventType>;

/** Events an endpoint or per-job webhook gets when none are named: every state change, no progress noise. */
export const DEFAULT_WEBHOOK_EVENTS: readonly TWebhookEventType[] = ["job.started", "job.succeeded", "job.failed", "job.canceled"];
