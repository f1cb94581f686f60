/**
 * The database/storage side of a tune coordinator in the worker: claim a tune job, create trials (ordinary compress
 * jobs with parentJobId = the tune job, same row shape as jobs.create, queued on the normal queue in the same
 * transaction), list and cancel them, and read a finished trial's report.json and model for the strategy and gate.
 *
 * INVARIANT: a trial is only created while this coordinator holds the tune job's lease (the INSERT is guarded by
 * it), and never twice for one candidate (the INSERT checks the candidate key in `preset`), so a resumed or
 * duplicated coordinator cannot double a trial.
 */
import { randomBytes } from "node:crypto";
import { TUNE_TRIAL_PRESET_PREFIX } from "../../contracts/tune";
import type { PrismaClient } from "../../generated/prisma/client";
import { JOB_QUEUE_NAME, type TJobQueue } from "../../server/queue/job-queue";
import { getObjectBytes, type TObjectStore } from "../../server/storage/object-store";
import { recordJobEvent } from "../../server/webhooks/record-job-event";
import type { TClaimedJob, TJobLease } from "../jobs/job-lease";
import type { TCandidate } from "./search-strategy";
import type { TTrialBackend, TTrialExtras, TTrialRecord } from "./run-tune-search";
import { checkQdqFusion } from "./model-traits";

const UTC_NOW = "(now() AT TIME ZONE 'UTC')";

/** A claimed tune job: the lease plus what the coordinator needs from the row. */
export type TClaimedTuneJob = TClaimedJob & { goal: unknown; startedAt: Date; result: unknown };

/**
 * Takes a queued tune job (kind guard: a compress job that somehow reached the tune queue is left alone), with its
 * job.started event in the same transaction. Undefined when not claimable.
 */
export async function claimTuneJob(prisma: PrismaClient, jobId: string, workerId: string): Promise<TClaimedTuneJob | undefined> {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ attempts: number; workspaceId: string; modelId: string; pipeline: unknown; goal: unknown; startedAt: Date; result: unknown }[]>(
      `UPDATE "Job" SET state = 'running', attempts = attempts + 1, "workerId" = $2, "heartbeatAt" = ${UTC_NOW},
         "startedAt" = COALESCE("startedAt", ${UTC_NOW}), stage = 'starting', error = NULL, "updatedAt" = ${UTC_NOW}
       WHERE id = $1 AND state = 'queued' AND kind = 'tune'
       RETURNING attempts, "workspaceId", "modelId", pipeline, goal, "startedAt", result`,
      jobId,
      workerId,
    );
    const row = rows[0];
    if (!row) return undefined;
    await recordJobEvent(tx, jobId, "job.started");
    return {
      jobId,
      workerId,
      attempt: Number(row.attempts),
      workspaceId: row.workspaceId,
      modelId: row.modelId,
      pipeline: row.pipeline,
      goal: row.goal,
      startedAt: row.startedAt,
      result: row.result,
    };
  });
}

/** Stores the live tune report on the running tune job (guarded by the lease); false when the lease is gone. */
export async function writeTuneLiveResult(prisma: PrismaClient, lease: TJobLease, result: unknown, stage: string, progress: number): Promise<boolean> {
  const count = await prisma.$executeRawUnsafe(
    `UPDATE "Job" SET result = $4::jsonb, stage = $5, progress = $6, "heartbeatAt" = ${UTC_NOW}, "updatedAt" = ${UTC_NOW}
     WHERE id = $1 AND "workerId" = $2 AND attempts = $3 AND state = 'running'`,
    lease.jobId,
    lease.workerId,
    lease.attempt,
    JSON.stringify(result),
    stage,
    progress,
  );
  return count === 1;
}

/** Lists the trials of a tune job, oldest first. */
export async function listTuneTrials(prisma: PrismaClient, tuneJobId: string): Promise<(TTrialRecord & { createdAt: Date })[]> {
  const rows = await prisma.job.findMany({
    where: { parentJobId: tuneJobId },
    orderBy: { createdAt: "asc" },
    select: { id: true, preset: true, pipeline: true, state: true, error: true, result: true, createdAt: true },
  });
  return rows.map((r) => ({
    jobId: r.id,
    candidateId: (r.preset ?? r.id).startsWith(TUNE_TRIAL_PRESET_PREFIX) ? r.preset!.slice(TUNE_TRIAL_PRESET_PREFIX.length) : (r.preset ?? r.id),
    pipeline: r.pipeline,
    state: r.state,
    error: r.error,
    result: (r.result ?? null) as TTrialRecord["result"],
    createdAt: r.createdAt,
  }));
}

/**
 * Cancels the given trials that are still queued or running (each with its job.canceled event). A running trial's
 * worker sees the state on its next heartbeat and stops; finished trials are untouched.
 */
export async function cancelTuneTrials(prisma: PrismaClient, jobIds: string[]): Promise<string[]> {
  if (jobIds.length === 0) return [];
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
      `UPDATE "Job" SET state = 'canceled', "finishedAt" = ${UTC_NOW}, "cancelRequestedAt" = ${UTC_NOW}, "updatedAt" = ${UTC_NOW}
       WHERE id = ANY($1::text[]) AND state IN ('queued', 'running')
       RETURNING id`,
      jobIds,
    );
    for (const r of rows) await recordJobEvent(tx, r.id, "job.canceled");
    return rows.map((r) => r.id);
  });
}

/** Cancels every unfinished trial of a tune job (the tune job itself was canceled or failed). */
export async function cancelAllTuneTrials(prisma: PrismaClient, tuneJobId: string): Promise<string[]> {
  const rows = await prisma.job.findMany({ where: { parentJobId: tuneJobId, state: { in: ["queued", "running"] } }, select: { id: true } });
  return cancelTuneTrials(prisma, rows.map((r) => r.id));
}

/** New Job ids look like Prisma's cuids (lowercase, starting with a letter) so URLs and logs stay uniform. */
function createTrialJobId(): string {
  return `c${randomBytes(12).toString("hex").slice(0, 24)}`;
}

/** The worker's trial backend: trials are child Job rows on the normal job queue. */
export function createDatabaseTrialBackend(deps: { prisma: PrismaClient; queue: TJobQueue; store: TObjectStore; lease: TJobLease }): TTrialBackend {
  const { prisma, queue, store, lease } = deps;
  return {
    listTrials: () => listTuneTrials(prisma, lease.jobId),
    createTrial: (candidate: TCandidate) =>
      queue.withTransaction(async (client, db) => {
        const preset = `${TUNE_TRIAL_PRESET_PREFIX}${candidate.id}`;
        // Same row shape as jobs.create (state queued, the parent's model and datasets), guarded by the lease.
        const res = await client.query<{ id: string }>(
          `INSERT INTO "Job" (id, "workspaceId", "modelId", pipeline, preset, state, kind, "parentJobId",
             "calibrationDatasetId", "evaluationDatasetId", "webhookEvents", "createdAt", "updatedAt")
           SELECT $1, p."workspaceId", p."modelId", $2::jsonb, $3, 'queued', 'compress', p.id,
             p."calibrationDatasetId", p."evaluationDatasetId", '{}', ${UTC_NOW}, ${UTC_NOW}
           FROM "Job" p
           WHERE p.id = $4 AND p."workerId" = $5 AND p.attempts = $6 AND p.state = 'running'
             AND NOT EXISTS (SELECT 1 FROM "Job" t WHERE t."parentJobId" = p.id AND t.preset = $3)
           RETURNING id`,
          [createTrialJobId(), JSON.stringify(candidate.pipeline), preset, lease.jobId, lease.workerId, lease.attempt],
        );
        const id = res.rows[0]?.id;
        if (!id) {
          // Either the lease is gone, or the candidate exists already (a previous attempt made it): look it up.
          const existing = await client.query<{ id: string }>(`SELECT id FROM "Job" WHERE "parentJobId" = $1 AND preset = $2`, [lease.jobId, preset]);
          return existing.rows[0]?.id;
        }
        await queue.enqueue(id, { db, queueName: JOB_QUEUE_NAME });
        return id;
      }),
    cancelTrials: async (ids) => {
      await cancelTuneTrials(prisma, ids);
    },
    loadExtras: (trial) => loadTrialExtras(prisma, store, trial.jobId),
  };
}

/** Reads a succeeded trial's report.json (sensitivity, original latency) and runs the QDQ fusion check on its model. */
export async function loadTrialExtras(prisma: PrismaClient, store: TObjectStore, trialJobId: string): Promise<TTrialExtras> {
  const artifacts = await prisma.artifact.findMany({ where: { jobId: trialJobId }, select: { name: true, storageKey: true } });
  const extras: TTrialExtras = {};
  const reportArtifact = artifacts.find((a) => a.name === "report.json");
  if (reportArtifact) {
    const report = JSON.parse(new TextDecoder().decode(await getObjectBytes(store, reportArtifact.storageKey))) as {
      sensitivity?: TTrialExtras["sensitivity"];
      original?: { latencyMs?: { p50?: number } };
    };
    if (Array.isArray(report.sensitivity)) extras.sensitivity = report.sensitivity;
    if (typeof report.original?.latencyMs?.p50 === "number") extras.originalLatencyMsP50 = report.original.latencyMs.p50;
  }
  const model = artifacts.find((a) => a.name.endsWith(".onnx"));
  if (model) extras.qdq = await checkQdqFusion(await getObjectBytes(store, model.storageKey)).catch(() => undefined);
  return extras;
}
