import type { Prisma, PrismaClient } from "../../generated/prisma/client";
import type { TJobQueue } from "../../server/queue/job-queue";
import { recordJobEvent } from "../../server/webhooks/record-job-event";
import type { TJobProgress } from "./progress-reporter";

/**
 * Every write a worker makes to a Job row it runs, each guarded by the lease
 * `state = 'running' AND workerId = me AND attempts = myAttempt`.
 *
 * INVARIANT: a worker only changes a job while it holds the lease. When the user cancels (state "canceled") or the
 * reaper takes a silent worker's job away (state "queued", then attempts + 1 for the next claim), every guarded
 * write of the old holder matches 0 rows. That is what makes "exactly one set of artifacts" hold: publication is
 * one guarded transaction, and a loser deletes its own files.
 *
 * Each state change also writes its webhook event (job.started / job.succeeded / job.failed) in the SAME
 * transaction (transactional outbox, issue 7): a job never changes state without its event, and a write that lost
 * the lease records no event.
 *
 * Timestamps are written as UTC by the database (`now() AT TIME ZONE 'UTC'`), like Prisma writes its DateTimes,
 * so heartbeats from machines with skewed clocks compare correctly.
 */

/** Who holds a running job: the fencing token of every guarded write. */
export type TJobLease = { jobId: string; workerId: string; attempt: number };

/** A job this worker has just claimed. */
export type TClaimedJob = TJobLease & { workspaceId: string; modelId: string; pipeline: unknown };

/** An object uploaded under the attempt's prefix, ready to become an Artifact row. */
export type TUploadedArtifact = { name: string; storageKey: string; sizeBytes: number; sha256: string; contentType: string };

const UTC_NOW = "(now() AT TIME ZONE 'UTC')";

/**
 * Takes a queued job: one atomic UPDATE, so of two deliveries of the same job (or two workers) exactly one wins.
 * The job.started event is written in the same transaction. Returns undefined when the job is not claimable
 * (canceled, finished, or running elsewhere).
 */
export async function claimJob(prisma: PrismaClient, jobId: string, workerId: string): Promise<TClaimedJob | undefined> {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ attempts: number; workspaceId: string; modelId: string; pipeline: unknown }[]>(
      `UPDATE "Job" SET state = 'running', attempts = attempts + 1, "workerId" = $2, "heartbeatAt" = ${UTC_NOW},
         "startedAt" = COALESCE("startedAt", ${UTC_NOW}), stage = 'starting', progress = 0, error = NULL,
         "updatedAt" = ${UTC_NOW}
       WHERE id = $1 AND state = 'queued'
       RETURNING attempts, "workspaceId", "modelId", pipeline`,
      jobId,
      workerId,
    );
    const row = rows[0];
    if (!row) return undefined;
    await recordJobEvent(tx, jobId, "job.started");
    return { jobId, workerId, attempt: Number(row.attempts), workspaceId: row.workspaceId, modelId: row.modelId, pipeline: row.pipeline };
  });
}

/** Proves this worker is alive. False when the lease is gone (canceled, or taken away after a lapse). */
export async function renewLease(prisma: PrismaClient, lease: TJobLease): Promise<boolean> {
  const count = await prisma.$executeRawUnsafe(
    `UPDATE "Job" SET "heartbeatAt" = ${UTC_NOW}
     WHERE id = $1 AND "workerId" = $2 AND attempts = $3 AND state = 'running'`,
    lease.jobId,
    lease.workerId,
    lease.attempt,
  );
  return count === 1;
}

/** Writes stage and progress (also a heartbeat). False when the lease is gone. */
export async function writeJobProgress(prisma: PrismaClient, lease: TJobLease, p: TJobProgress): Promise<boolean> {
  const count = await prisma.$executeRawUnsafe(
    `UPDATE "Job" SET stage = $4, progress = $5, "heartbeatAt" = ${UTC_NOW}, "updatedAt" = ${UTC_NOW}
     WHERE id = $1 AND "workerId" = $2 AND attempts = $3 AND state = 'running'`,
    lease.jobId,
    lease.workerId,
    lease.attempt,
    p.stage,
    p.progress,
  );
  return count === 1;
}

/**
 * Publishes a finished attempt in ONE transaction: the job becomes "succeeded", its Artifact rows and its
 * job.succeeded event (whose snapshot therefore lists the artifacts) appear together, or nothing happens (false)
 * because the lease is gone. The caller then deletes the attempt's files.
 */
export async function publishJobResult(
  prisma: PrismaClient,
  lease: TJobLease & { workspaceId: string },
  output: { result: Prisma.InputJsonValue; artifacts: TUploadedArtifact[] },
): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const count = await tx.$executeRawUnsafe(
      `UPDATE "Job" SET state = 'succeeded', stage = 'done', progress = 1, result = $4::jsonb,
         "finishedAt" = ${UTC_NOW}, "heartbeatAt" = ${UTC_NOW}, "updatedAt" = ${UTC_NOW}
       WHERE id = $1 AND "workerId" = $2 AND attempts = $3 AND state = 'running'`,
      lease.jobId,
      lease.workerId,
      lease.attempt,
      JSON.stringify(output.result),
    );
    if (count !== 1) return false;
    await tx.artifact.createMany({
      data: output.artifacts.map((a) => ({
        workspaceId: lease.workspaceId,
        jobId: lease.jobId,
        name: a.name,
        storageKey: a.storageKey,
        sizeBytes: BigInt(a.sizeBytes),
        sha256: a.sha256,
        contentType: a.contentType,
        attempt: lease.attempt,
      })),
    });
    await recordJobEvent(tx, lease.jobId, "job.succeeded");
    return true;
  });
}

/** Fails the job for good with a user-readable message, with its job.failed event. False when the lease was already gone. */
export async function failJob(prisma: PrismaClient, lease: TJobLease, userError: string): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const count = await tx.$executeRawUnsafe(
      `UPDATE "Job" SET state = 'failed', error = $4, "finishedAt" = ${UTC_NOW}, "updatedAt" = ${UTC_NOW}
       WHERE id = $1 AND "workerId" = $2 AND attempts = $3 AND state = 'running'`,
      lease.jobId,
      lease.workerId,
      lease.attempt,
      userError,
    );
    if (count !== 1) return false;
    await recordJobEvent(tx, lease.jobId, "job.failed");
    return true;
  });
}

/** The job's current state, for logging why a lease was lost. */
export async function readJobState(prisma: PrismaClient, jobId: string): Promise<string | undefined> {
  const row = await prisma.job.findUnique({ where: { id: jobId }, select: { state: true } });
  return row?.state;
}

/**
 * Gives a running job back to the queue because this worker is shutting down (scale-in, deploy): state "queued"
 * and a new delivery, in one transaction. The attempt is handed back too (attempts - 1): a worker that stops
 * politely is not a failure, so it must not bring the job closer to JOB_MAX_ATTEMPTS. Fencing still holds because
 * the lease also names the worker, and this worker takes no new jobs. False when the lease was already gone.
 */
export async function releaseJob(queue: TJobQueue, lease: TJobLease): Promise<boolean> {
  return queue.withTransaction(async (client, db) => {
    const res = await client.query(
      `UPDATE "Job" SET state = 'queued', attempts = attempts - 1, "workerId" = NULL, "heartbeatAt" = NULL,
         progress = 0, stage = 'queued: its worker shut down, waiting for another worker', "updatedAt" = ${UTC_NOW}
       WHERE id = $1 AND "workerId" = $2 AND attempts = $3 AND state = 'running'`,
      [lease.jobId, lease.workerId, lease.attempt],
    );
    if (res.rowCount !== 1) return false;
    await queue.enqueue(lease.jobId, { db });
    return true;
  });
}
