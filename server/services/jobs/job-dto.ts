import { z } from "zod";
import { ZJobState } from "../../../contracts/job-state";
import type { TJobWithArtifacts } from "./find-job-by-id";

export const ZArtifactDto = z.object({
  name: z.string(),
  sizeBytes: z.number(),
  sha256: z.string(),
  contentType: z.string(),
  createdAt: z.iso.datetime(),
});
export type TArtifactDto = z.infer<typeof ZArtifactDto>;

/**
 * A job as the API returns it and as webhook bodies carry it:
 * timestamps are ISO strings, progress is 0..1, `error` is user-readable.
 */
export const ZJobDto = z.object({
  id: z.string(),
  modelId: z.string(),
  state: ZJobState,
  /** Name of the step being run, e.g. "download", "analyze", "upload". */
  stage: z.string().nullable(),
  progress: z.number().min(0).max(1),
  attempts: z.number().int(),
  error: z.string().nullable(),
  preset: z.string().nullable(),
  pipeline: z.unknown(),
  /** Summary of report.json once succeeded. */
  result: z.unknown().nullable(),
  artifacts: z.array(ZArtifactDto),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  cancelRequestedAt: z.iso.datetime().nullable(),
  updatedAt: z.iso.datetime(),
  /** Per-job webhook URL given at creation (null when none); deliveries are signed with the workspace's secret. */
  webhookUrl: z.string().nullable(),
  /** Events sent to `webhookUrl`. */
  webhookEvents: z.array(z.string()),
  /** "compress" runs `pipeline`; "tune" searches for the best pipeline, its trials are child jobs. */
  kind: z.enum(["compress", "tune"]),
  /** The tune job this job is a trial of. */
  parentJobId: z.string().nullable(),
  /** Tune jobs: goal and budget (contracts/tune.ts). */
  goal: z.unknown().nullable(),
  calibrationDatasetId: z.string().nullable(),
  evaluationDatasetId: z.string().nullable(),
});
export type TJobDto = z.infer<typeof ZJobDto>;

/** Maps a Job row (with artifacts) to its DTO. */
export function toJobDto(job: TJobWithArtifacts): TJobDto {
  return {
    id: job.id,
    modelId: job.modelId,
    state: ZJobState.parse(job.state),
    stage: job.stage,
    progress: Math.min(1, Math.max(0, job.progress)),
    attempts: job.attempts,
    error: job.error,
    preset: job.preset,
    pipeline: job.pipeline,
    result: job.result ?? null,
    artifacts: job.artifacts.map((a) => ({
      name: a.name,
      sizeBytes: Number(a.sizeBytes),
      sha256: a.sha256,
      contentType: a.contentType,
      createdAt: a.createdAt.toISOString(),
    })),
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    cancelRequestedAt: job.cancelRequestedAt?.toISOString() ?? null,
    updatedAt: job.updatedAt.toISOString(),
    webhookUrl: job.webhookUrl ?? null,
    webhookEvents: job.webhookEvents ?? [],
    kind: job.kind === "tune" ? "tune" : "compress",
    parentJobId: job.parentJobId ?? null,
    goal: job.goal ?? null,
    calibrationDatasetId: job.calibrationDatasetId ?? null,
    evaluationDatasetId: job.evaluationDatasetId ?? null,
  };
}
