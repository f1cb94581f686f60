import { AppError, isAppError, validatePipeline } from "../../contracts";
import type { PrismaClient } from "../../generated/prisma/client";
import type { Logger } from "../../server/logger";
import {
  buildAttemptPrefix,
  createKeyToken,
  deletePrefix,
  getObjectBytes,
  putObject,
  type TObjectStore,
} from "../../server/storage/object-store";
import { runPipeline as runRealPipeline } from "../pipeline/run-pipeline";
import { annotateJobReport } from "../metrics/annotate-job-report";
import type { TClaimedJob, TUploadedArtifact } from "./job-lease";
import type { TJobProgress } from "./progress-reporter";
import { summarizeReport, type TJobResultSummary } from "./summarize-report";

/** What a job handler gets, shaped like graphile-worker's JobHelpers. */
export type TJobHelpers = {
  job: TClaimedJob;
  logger: Logger;
  /** Aborted when the job is canceled, its lease is lost, or the worker shuts down and hands it back. */
  signal: AbortSignal;
  /** Throttled into the Job row's stage/progress. */
  reportProgress: (p: TJobProgress) => void;
};

/** A finished attempt, uploaded but not yet published. */
export type TJobOutput = { attemptPrefix: string; artifacts: TUploadedArtifact[]; result: TJobResultSummary };

export type TJobDeps = { prisma: PrismaClient; store: TObjectStore; runPipeline?: typeof runRealPipeline };

/** Why a running job was stopped from outside the pipeline. */
export type TJobAbortReason = "canceled" | "lease-lost" | "released";

/** The AbortSignal reason the worker uses; `reason` says who stopped the job. */
export class JobAbortedError extends Error {
  readonly reason: TJobAbortReason;
  constructor(reason: TJobAbortReason) {
    super(`job stopped: ${reason}`);
    this.name = "JobAbortedError";
    this.reason = reason;
  }
}

/** Shares of overall progress: the pipeline gets most of the bar, transfers the rest. */
const DOWNLOAD_END = 0.05;
const PIPELINE_END = 0.9;

/** How long an aborted pipeline may take to notice its signal before the handler stops waiting for it. */
const ABORT_GRACE_MS = 10_000;

/**
 * The compression job: download the model, run the pipeline, upload artifacts + report.json under a fresh
 * attempt prefix. It never publishes: the caller does that under the lease, and deletes the prefix if it loses.
 * Throws AppError for problems with the user's job, JobAbortedError (or the pipeline's abort error) when stopped.
 */
export async function runCompressionJob(helpers: TJobHelpers, deps: TJobDeps): Promise<TJobOutput> {
  const { job, signal, reportProgress, logger } = helpers;
  const runPipeline = deps.runPipeline ?? runRealPipeline;

  const parsed = validatePipeline(job.pipeline);
  if (!parsed.ok) throw new AppError("BAD_INPUT", { userMessage: parsed.error });
  const model = await deps.prisma.model.findFirst({
    where: { id: job.modelId, workspaceId: job.workspaceId },
    select: { name: true, storageKey: true },
  });
  if (!model) throw new AppError("NOT_FOUND", { userMessage: "the job's model was deleted before the job ran" });

  reportProgress({ stage: "downloading model", progress: 0 });
  const modelBytes = await getObjectBytes(deps.store, model.storageKey);
  throwIfAborted(signal);
  reportProgress({ stage: "downloading model", progress: DOWNLOAD_END });

  const { artifacts, report } = await raceWithAbort(
    runPipeline({
      modelBytes,
      modelName: model.name,
      pipeline: parsed.pipeline,
      signal,
      reportProgress: (p) =>
        reportProgress({ stage: p.stage, progress: DOWNLOAD_END + (PIPELINE_END - DOWNLOAD_END) * clamp01(p.progress) }),
      logger: { info: (o, msg) => logger.info(o, msg) },
    }),
    signal,
  );
  throwIfAborted(signal);
  annotateJobReport(report, artifacts); // provenance: provider, opsets, hardware; CUDA fallback warning (issue 9)

  // report.json is part of every job's output; passes that already emit it keep theirs.
  const files = artifacts.some((a) => a.name === "report.json")
    ? artifacts
    : [...artifacts, { name: "report.json", contentType: "application/json", bytes: new TextEncoder().encode(JSON.stringify(report, null, 2)) }];

  const attemptPrefix = buildAttemptPrefix(job.workspaceId, job.jobId, job.attempt, createKeyToken());
  const uploaded: TUploadedArtifact[] = [];
  try {
    for (const [i, file] of files.entries()) {
      throwIfAborted(signal);
      reportProgress({ stage: "uploading artifacts", progress: PIPELINE_END + ((1 - PIPELINE_END) * i) / files.length });
      const storageKey = `${attemptPrefix}${sanitizeArtifactName(file.name)}`;
      const { sizeBytes, sha256 } = await putObject(deps.store, storageKey, file.bytes, file.contentType);
      uploaded.push({ name: file.name, storageKey, sizeBytes, sha256, contentType: file.contentType });
    }
  } catch (err) {
    await deletePrefix(deps.store, attemptPrefix).catch(() => undefined);
    throw err;
  }

  return { attemptPrefix, artifacts: uploaded, result: summarizeReport(report, uploaded) };
}

/**
 * The user-readable error of a failed job. AppErrors carry their own message; anything else is our bug or
 * an unavailable dependency, so the user gets a generic line and the log gets the details.
 */
export function describeJobFailure(err: unknown, stage: string): { userError: string; internal: boolean } {
  if (isAppError(err)) return { userError: err.userMessage, internal: false };
  return { userError: `internal error while running ${stage}; the team has been notified`, internal: true };
}

/** Artifact names come from passes; keep keys to one safe path segment. */
function sanitizeArtifactName(name: string): string {
  const safe = name.replace(/[^\w.\-]/g, "_").replace(/^\.+/, "_");
  return safe.length > 0 ? safe.slice(0, 200) : "artifact";
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new JobAbortedError("canceled");
}

/**
 * Settles with `work`, or rejects with the abort reason once the signal fires and the work has not finished
 * within ABORT_GRACE_MS. The pipeline should stop on its own (it checks the signal); the grace bound is only
 * there so a pass that ignores the signal cannot keep a canceled job's slot forever.
 */
function raceWithAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      timer = setTimeout(() => reject(signal.reason), ABORT_GRACE_MS);
      timer.unref?.();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (timer) clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        if (timer) clearTimeout(timer);
        reject(err);
      },
    );
  });
}
