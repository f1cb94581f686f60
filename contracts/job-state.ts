import { z } from "zod";

/**
 * The one ordered list of job states, shared by API, worker, webhooks, CLI and portal.
 * Order matters: terminal states come last so `isTerminalJobState` stays a simple lookup.
 */
export const JOB_STATES = [
  /** Accepted and waiting in the queue for a worker. */
  "queued",
  /** A worker holds the job and sends heartbeats. */
  "running",
  /** The pipeline finished and its artifacts are published. */
  "succeeded",
  /** The pipeline failed; `userError` says why. */
  "failed",
  /** The user canceled it; no artifact is published. */
  "canceled",
] as const;

export const ZJobState = z.enum(JOB_STATES);
export type TJobState = z.infer<typeof ZJobState>;

export const TERMINAL_JOB_STATES: ReadonlySet<TJobState> = new Set(["succeeded", "failed", "canceled"]);

/** True when the job can no longer change state. */
export function isTerminalJobState(state: TJobState): boolean {
  return TERMINAL_JOB_STATES.has(state);
}

/** Model lifecycle after an upload starts. */
export const MODEL_STATES = ["uploading", "validating", "ready", "failed"] as const;
export const ZModelState = z.enum(MODEL_STATES);
export type TModelState = z.infer<typeof ZModelState>;
