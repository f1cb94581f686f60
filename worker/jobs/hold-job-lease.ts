import type { PrismaClient } from "../../generated/prisma/client";
import type { Logger } from "../../server/logger";
import { readJobState, renewLease, type TJobLease } from "./job-lease";
import { JobAbortedError } from "./run-compression-job";

export type THeldLease = {
  /** Reads why the row is no longer ours (canceled, or taken over) and aborts the controller with that reason. */
  abortFromDatabase: () => Promise<void>;
  /** Stops the heartbeats (call when the attempt ends, however it ends). */
  release: () => void;
};

/**
 * Holds a claimed job's lease while its attempt runs, for compression jobs and tune coordinators alike: renews
 * Job.heartbeatAt every `heartbeatMs` (one renewal in flight at a time) and aborts `controller` with a
 * JobAbortedError once a renewal finds the row is no longer ours.
 */
export function holdJobLease(
  prisma: PrismaClient,
  lease: TJobLease,
  opts: { heartbeatMs: number; controller: AbortController; logger: Logger; onHeartbeat?: () => void },
): THeldLease {
  const { controller, logger } = opts;
  const abortFromDatabase = async (): Promise<void> => {
    if (controller.signal.aborted) return;
    const state = await readJobState(prisma, lease.jobId).catch(() => undefined);
    if (!controller.signal.aborted) controller.abort(new JobAbortedError(state === "canceled" ? "canceled" : "lease-lost"));
  };
  let beating = false;
  const timer = setInterval(() => {
    if (beating || controller.signal.aborted) return;
    beating = true;
    opts.onHeartbeat?.();
    renewLease(prisma, lease)
      .then((ours) => (ours ? undefined : abortFromDatabase()))
      // The database may be briefly unreachable; the lease only lapses after WORKER_LEASE_SECONDS.
      .catch((err) => logger.warn({ err }, "heartbeat failed"))
      .finally(() => {
        beating = false;
      });
  }, opts.heartbeatMs);
  return { abortFromDatabase, release: () => clearInterval(timer) };
}
