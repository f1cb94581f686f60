import type { TConfig } from "../config";
import type { PrismaClient } from "../db/prisma";
import type { TObjectStore } from "../storage/object-store";

/**
 * What services need from the outside world, passed explicitly so tests and the CLI's embedded server can
 * point them at their own database, bucket and queue without touching process-wide singletons.
 */
export type TServiceDeps = {
  prisma: PrismaClient;
  store: TObjectStore;
  config: TConfig;
  /** Puts a just-inserted queued Job row on the work queue (server/queue/job-queue.ts in production). */
  enqueueJob: (jobId: string) => Promise<void>;
  /** Puts a queued tune Job row on the coordinators' queue; without it tune jobs are forwarded by the first worker. */
  enqueueTuneJob?: (jobId: string) => Promise<void>;
};

/** The authenticated caller as services see it: every query filters by `workspaceId`. */
export type TServiceCaller = { userId: string; workspaceId: string };

/** A caller whose role matters (member management, revoking others' keys). */
export type TRoleCaller = TServiceCaller & { role: "owner" | "member" };
