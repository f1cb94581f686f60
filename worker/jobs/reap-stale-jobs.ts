import { JOB_QUEUE_NAME, JOB_QUEUE_SCHEMA, queueNameForKind, TUNE_QUEUE_NAME, type TJobQueue } from "../../server/queue/job-queue";
import { buildAttemptPrefix, deletePrefix, type TObjectStore } from "../../server/storage/object-store";
import { recordJobEvent } from "../../server/webhooks/record-job-event";

/** Stage shown while a job waits for its retry after its worker died. */
export const RETRY_STAGE = "retrying: previous worker stopped responding";

export type TReapResult = {
  /** Jobs whose worker went silent and that were put back in the queue. */
  requeued: string[];
  /** Jobs whose workers went silent JOB_MAX_ATTEMPTS times, now failed. */
  failed: string[];
  /** Queued jobs that had no pending delivery (enqueue lost) and got a new one. */
  redelivered: string[];
};

const UTC_NOW = "(now() AT TIME ZONE 'UTC')";

/**
 * Crash recovery, run by every worker every few seconds. Both steps are single atomic statements with
 * `FOR UPDATE SKIP LOCKED`, committed together with their pg-boss sends, so several workers reaping at once
 * never re-enqueue the same job twice and a crash between "put back" and "enqueue" cannot strand a job.
 *
 * 1. running jobs whose heartbeat is older than the lease go back to "queued" with a new delivery, or to
 *    "failed" once `maxAttempts` attempts ran. The dead attempt's half-uploaded files (if any) are deleted.
 * 2. queued jobs older than the lease that have no waiting delivery get one. This covers a worker dying between
 *    pg-boss handing it the delivery and its claim, and an API process that committed the Job row but crashed
 *    (or lost the queue) before `enqueueJob`.
 */
export async function reapStaleJobs(
  queue: TJobQueue,
  store: TObjectStore,
  opts: { leaseSeconds: number; maxAttempts: number; batchSize?: number },
): Promise<TReapResult> {
  const limit = opts.batchSize ?? 100;
  const stale = await queue.withTransaction(async (client, db) => {
    const res = await client.query<{ id: string; state: string; attempts: number; workspaceId: string; kind: string }>(
      `WITH stale AS (
         SELECT id FROM "Job"
         WHERE state = 'running' AND "heartbeatAt" < ${UTC_NOW} - make_interval(secs => $1)
         ORDER BY "heartbeatAt"
         LIMIT $3
         FOR UPDATE SKIP LOCKED
       )
       UPDATE "Job" j SET
         state = CASE WHEN j.attempts >= $2 THEN 'failed' ELSE 'queued' END,
         stage = CASE WHEN j.attempts >= $2 THEN j.stage ELSE '${RETRY_STAGE}' END,
         error = CASE WHEN j.attempts >= $2
           THEN 'the job''s worker stopped responding ' || j.attempts || ' times' ELSE NULL END,
         "finishedAt" = CASE WHEN j.attempts >= $2 THEN ${UTC_NOW} ELSE NULL END,
         progress = CASE WHEN j.attempts >= $2 THEN j.progress ELSE 0 END,
         "workerId" = NULL, "heartbeatAt" = NULL, "updatedAt" = ${UTC_NOW}
       FROM stale WHERE j.id = stale.id
       RETURNING j.id, j.state, j.attempts, j."workspaceId", j.kind`,
      [opts.leaseSeconds, opts.maxAttempts, limit],
    );
    for (const row of res.rows) {
      // issue 10: a tune coordinator goes back to the tune queue and resumes from its trials in the DB.
      if (row.state === "queued") await queue.enqueue(row.id, { db, queueName: queueNameForKind(row.kind) });
      else await recordJobEvent(client, row.id, "job.failed"); // issue 7: same transaction as the state change
    }
    return res.rows;
  });

  const redelivered = await queue.withTransaction(async (client, db) => {
    const res = await client.query<{ id: string; kind: string }>(
      `WITH orphan AS (
         SELECT j.id FROM "Job" j
         WHERE j.state = 'queued' AND j."updatedAt" < ${UTC_NOW} - make_interval(secs => $1)
           AND NOT EXISTS (
             SELECT 1 FROM ${JOB_QUEUE_SCHEMA}.job q
             WHERE q.name IN ($2, $4) AND q.state IN ('created', 'retry') AND q.data->>'jobId' = j.id
           )
         LIMIT $3
         FOR UPDATE OF j SKIP LOCKED
       )
       UPDATE "Job" j SET "updatedAt" = ${UTC_NOW} FROM orphan WHERE j.id = orphan.id
       RETURNING j.id, j.kind`,
      [opts.leaseSeconds, JOB_QUEUE_NAME, limit, TUNE_QUEUE_NAME],
    );
    for (const row of res.rows) await queue.enqueue(row.id, { db, queueName: queueNameForKind(row.kind) });
    return res.rows.map((r) => r.id);
  });

  // issue 10: trials whose tune job was canceled or failed while no coordinator ran (it died, or it was canceled
  // while queued) are canceled here; finished trials stay. Same transaction as their job.canceled events.
  await queue.withTransaction(async (client) => {
    const res = await client.query<{ id: string }>(
      `WITH orphan AS (
         SELECT t.id FROM "Job" t JOIN "Job" p ON p.id = t."parentJobId"
         WHERE t.state IN ('queued', 'running') AND p.state IN ('canceled', 'failed')
         LIMIT $1
         FOR UPDATE OF t SKIP LOCKED
       )
       UPDATE "Job" t SET state = 'canceled', "finishedAt" = ${UTC_NOW}, "cancelRequestedAt" = ${UTC_NOW}, "updatedAt" = ${UTC_NOW}
       FROM orphan WHERE t.id = orphan.id
       RETURNING t.id`,
      [limit],
    );
    for (const row of res.rows) await recordJobEvent(client, row.id, "job.canceled");
  });

  // The dead attempt may have uploaded some files before it died; they would never be published.
  // Its prefix is `attempt-N-<token>/`, so listing `attempt-N-` finds it without knowing the token.
  for (const row of stale) {
    const attemptPrefix = buildAttemptPrefix(row.workspaceId, row.id, Number(row.attempts), "").replace(/\/$/, "");
    await deletePrefix(store, attemptPrefix).catch(() => undefined);
  }

  return {
    requeued: stale.filter((r) => r.state === "queued").map((r) => r.id),
    failed: stale.filter((r) => r.state === "failed").map((r) => r.id),
    redelivered,
  };
}
