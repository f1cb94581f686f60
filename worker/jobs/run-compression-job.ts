import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AppError, isAppError, validatePipeline } from "../../contracts";
import type { TPipelineSpec } from "../../contracts/pipeline";
import type { TReport } from "../../contracts/report";
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
import { materializeDataset } from "../data/dataset-files";
import { openDataSource, type TDataSource } from "../data/data-source";
import { decodeModel } from "../onnx/model-io";
import { summarizeModel } from "../onnx/tensor-info";
import { isAbortError, runPipeline as runRealPipeline } from "../pipeline/run-pipeline";
import { createJobLogWriter, type TJobLogWriter } from "./job-log-writer";
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
  // The job's log (JobLog rows, shown live on the job page): best effort, bounded, flushed in batches.
  const log = createJobLogWriter(deps.prisma, { jobId: helpers.job.jobId, attempt: helpers.job.attempt }, {
    onWriteError: (err) => helpers.logger.warn({ err, jobId: helpers.job.jobId }, "writing job log lines failed"),
  });
  log.info(`attempt ${helpers.job.attempt} started on worker ${helpers.job.workerId}`);
  let lastStage = "";
  const reportProgress = (p: TJobProgress) => {
    if (p.stage !== lastStage) {
      lastStage = p.stage;
      log.info(`stage: ${p.stage}`);
    }
    helpers.reportProgress(p);
  };
  const workDir = await mkdtemp(path.join(os.tmpdir(), `condense-job-${helpers.job.jobId.slice(0, 16)}-`));
  try {
    const output = await runJobAttempt({ ...helpers, reportProgress }, deps, log, workDir);
    log.info(`finished: ${output.artifacts.length} artifacts uploaded (${output.artifacts.map((a) => a.name).join(", ")})`);
    return output;
  } catch (err) {
    if (err instanceof JobAbortedError || isAbortError(err) || helpers.signal.aborted) {
      const reason = helpers.signal.reason instanceof JobAbortedError ? helpers.signal.reason.reason : "canceled";
      log.warn(`stopped during ${lastStage || "start"}: ${reason}`);
    } else {
      log.error(`failed during ${lastStage || "start"}: ${describeJobFailure(err, lastStage || "the job").userError}`);
    }
    throw err;
  } finally {
    await log.close();
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function runJobAttempt(helpers: TJobHelpers, deps: TJobDeps, log: TJobLogWriter, workDir: string): Promise<TJobOutput> {
  const { job, signal, reportProgress, logger } = helpers;
  const runPipeline = deps.runPipeline ?? runRealPipeline;

  const parsed = validatePipeline(job.pipeline);
  if (!parsed.ok) throw new AppError("BAD_INPUT", { userMessage: parsed.error });
  const model = await deps.prisma.model.findFirst({
    where: { id: job.modelId, workspaceId: job.workspaceId },
    select: { name: true, storageKey: true, sha256: true },
  });
  if (!model) throw new AppError("NOT_FOUND", { userMessage: "the job's model was deleted before the job ran" });

  reportProgress({ stage: "downloading model", progress: 0 });
  const modelBytes = await getObjectBytes(deps.store, model.storageKey);
  throwIfAborted(signal);
  reportProgress({ stage: "downloading model", progress: DOWNLOAD_END });
  log.info(`model ${model.name}: ${modelBytes.byteLength} bytes`);
  const data = await openJobDatasets(deps, job, modelBytes, workDir, log, reportProgress);
  throwIfAborted(signal);
  const studentModel = await downloadStudentModel(deps, job, parsed.pipeline, log);
  throwIfAborted(signal);

  const { artifacts, report } = await raceWithAbort(
    runPipeline({
      modelBytes,
      modelName: model.name,
      // Recorded when the upload was validated: the runner need not hash the bytes again.
      modelSha256: model.sha256 ?? undefined,
      pipeline: parsed.pipeline,
      signal,
      reportProgress: (p) =>
        reportProgress({ stage: p.stage, progress: DOWNLOAD_END + (PIPELINE_END - DOWNLOAD_END) * clamp01(p.progress) }),
      logger: {
        info: (o, msg) => {
          logger.info(o, msg);
          if (msg) log.info(msg);
        },
      },
      ...data,
      ...(studentModel ? { studentModel } : {}),
    }),
    signal,
  );
  throwIfAborted(signal);
  annotateJobReport(report, artifacts); // provenance: provider, opsets, hardware; CUDA fallback warning (issue 9)
  logReportHighlights(log, report);

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

/** A job's dataset rows as the worker needs them. */
type TJobDatasetRow = { id: string; name: string; storageKey: string; state: string };

/**
 * Downloads the job's calibration/evaluation datasets (when it has any) next to the job and opens them against the
 * model's real inputs. The data's description names the dataset, so report.inputs says which data was used.
 */
async function openJobDatasets(
  deps: TJobDeps,
  job: TClaimedJob,
  modelBytes: Uint8Array,
  workDir: string,
  log: TJobLogWriter,
  reportProgress: (p: TJobProgress) => void,
): Promise<{ calibration?: TDataSource; evaluation?: TDataSource }> {
  const select = { id: true, name: true, storageKey: true, state: true } as const;
  const row = await deps.prisma.job.findFirst({
    where: { id: job.jobId, workspaceId: job.workspaceId },
    select: { calibrationDatasetId: true, evaluationDatasetId: true, calibrationDataset: { select }, evaluationDataset: { select } },
  });
  if (!row || (!row.calibrationDatasetId && !row.evaluationDatasetId)) return {};
  reportProgress({ stage: "downloading data", progress: DOWNLOAD_END });
  const signature = summarizeModel(decodeModel(modelBytes));
  const open = async (role: "calibration" | "evaluation", id: string | null, dataset: TJobDatasetRow | null): Promise<TDataSource | undefined> => {
    if (!id) return undefined;
    if (!dataset || dataset.state !== "ready") {
      throw new AppError("CONFLICT", { userMessage: `the job's ${role} dataset was deleted or is not ready: create the job again with another dataset` });
    }
    const { dataPath } = await materializeDataset(deps.store, dataset, path.join(workDir, role));
    const source = await openDataSource(dataPath, { modelInputs: signature.inputs, modelOutputs: signature.outputs });
    const described = { ...source, description: `dataset "${dataset.name}" (${dataset.id}): ${source.description}` };
    log.info(`${role} data: ${described.description}`);
    return described;
  };
  return {
    calibration: await open("calibration", row.calibrationDatasetId, row.calibrationDataset),
    evaluation: await open("evaluation", row.evaluationDatasetId, row.evaluationDataset),
  };
}

/** One log line per pipeline step and per warning, so the log tells the story without opening report.json. */
function logReportHighlights(log: TJobLogWriter, report: TReport): void {
  if (report.inputs) log.info(`inputs: ${report.inputs.description}`);
  for (const step of report.steps ?? []) {
    const parts = [
      step.sizeRatio !== undefined ? `size x${step.sizeRatio.toFixed(3)}` : undefined,
      step.latencyRatioP50 !== undefined ? `latency x${step.latencyRatioP50.toFixed(3)}` : undefined,
      step.cosine !== undefined ? `cosine ${step.cosine.toFixed(5)}` : undefined,
    ].filter(Boolean);
    log.info(`step ${step.index + 1} ${step.pass}: ${parts.length > 0 ? parts.join(", ") : "measured"} (${step.wallMs} ms)`);
  }
  if (report.fidelity) log.info(`fidelity: cosine ${report.fidelity.cosine.toFixed(5)}, SNR ${report.fidelity.snrDb.toFixed(1)} dB (worst output)`);
  for (const w of report.warnings) log.warn(w);
}

/**
 * The uploaded student of a `distill` step (`studentModelId`), read from the job's own workspace only: an id of
 * another workspace reads as missing. jobs.create checks it too; this guards against a model deleted meanwhile.
 */
async function downloadStudentModel(
  deps: TJobDeps,
  job: TClaimedJob,
  pipeline: TPipelineSpec,
  log: TJobLogWriter,
): Promise<{ bytes: Uint8Array; name: string } | undefined> {
  const ids = [...new Set(pipeline.steps.flatMap((s) => (s.pass === "distill" && s.options.studentModelId ? [s.options.studentModelId] : [])))];
  if (ids.length === 0) return undefined;
  if (ids.length > 1) throw new AppError("BAD_INPUT", { userMessage: "all distill steps of a pipeline must use the same studentModelId" });
  const student = await deps.prisma.model.findFirst({
    where: { id: ids[0], workspaceId: job.workspaceId, state: "ready" },
    select: { name: true, storageKey: true },
  });
  if (!student) throw new AppError("NOT_FOUND", { userMessage: `the student model ${ids[0]} of the distill step is not a ready model of this workspace` });
  const bytes = await getObjectBytes(deps.store, student.storageKey);
  log.info(`student model ${student.name}: ${bytes.byteLength} bytes`);
  return { bytes, name: student.name };
}
