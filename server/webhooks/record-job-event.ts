import { randomBytes } from "node:crypto";
import type { TJobDto } from "../services/jobs/job-dto";
import { toJobDto } from "../services/jobs/job-dto";
import type { TJobWithArtifacts } from "../services/jobs/find-job-by-id";
import type { TWebhookEventType } from "./webhook-events";

/**
 * Where a job event is written: a Prisma client or interactive transaction, or a raw pg client inside its own
 * transaction (the worker's reaper). Writing it in the transaction that changed the job makes the event as durable
 * as the state change itself (transactional outbox).
 */
export type TEventDb =
  | { $executeRawUnsafe: (query: string, ...values: unknown[]) => Promise<number> }
  | { query: (text: string, values?: unknown[]) => Promise<{ rowCount: number | null }> };

const UTC_NOW = "(now() AT TIME ZONE 'UTC')";

/**
 * Records that a job changed state: inserts a JobEvent with a snapshot of the job row and its artifacts as they are
 * now (in this transaction), so the webhook body shows the job at the moment of the event even if it has moved on
 * by the time the dispatcher sends it. Returns false when the job does not exist.
 */
export async function recordJobEvent(db: TEventDb, jobId: string, type: TWebhookEventType): Promise<boolean> {
  const id = `evt_${randomBytes(12).toString("base64url")}`;
  const sql = `INSERT INTO "JobEvent" (id, "workspaceId", "jobId", type, snapshot, "createdAt")
    SELECT $1, j."workspaceId", j.id, $3,
      jsonb_build_object('job', to_jsonb(j), 'artifacts', COALESCE(
        (SELECT jsonb_agg(to_jsonb(a) ORDER BY a.name) FROM "Artifact" a WHERE a."jobId" = j.id), '[]'::jsonb)),
      ${UTC_NOW}
    FROM "Job" j WHERE j.id = $2`;
  if ("$executeRawUnsafe" in db) return (await db.$executeRawUnsafe(sql, id, jobId, type)) === 1;
  return ((await db.query(sql, [id, jobId, type])).rowCount ?? 0) === 1;
}

/** JSON of a `timestamp(3)` column: ISO text without a zone, in UTC (as Prisma writes it). */
function parseUtc(value: unknown): Date | null {
  if (typeof value !== "string") return null;
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
}

/** Turns a JobEvent snapshot (row JSON) into the job DTO, through the same mapper jobs.get uses. */
export function snapshotToJobDto(snapshot: unknown): TJobDto {
  const { job, artifacts } = snapshot as { job: Record<string, unknown>; artifacts: Record<string, unknown>[] };
  const row = {
    ...job,
    createdAt: parseUtc(job.createdAt)!,
    startedAt: parseUtc(job.startedAt),
    finishedAt: parseUtc(job.finishedAt),
    cancelRequestedAt: parseUtc(job.cancelRequestedAt),
    heartbeatAt: parseUtc(job.heartbeatAt),
    updatedAt: parseUtc(job.updatedAt)!,
    artifacts: artifacts.map((a) => ({ ...a, sizeBytes: BigInt(a.sizeBytes as number), createdAt: parseUtc(a.createdAt)! })),
  } as unknown as TJobWithArtifacts;
  return toJobDto(row);
}
