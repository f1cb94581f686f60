/**
 * The tune coordinator consumer every worker runs next to its compression slots (issue 10). It listens on
 * TUNE_QUEUE_NAME with its own concurrency, so a tune job never occupies a slot its own trials need: one worker with
 * concurrency 1 still finishes a tune job. Claim, heartbeat and publication follow the compress jobs' lease rules
 * (worker/jobs/job-lease.ts); a coordinator that dies is re-queued by the reaper and resumes from the trials in the DB.
 */
import type PgBoss from "pg-boss";
import { isAppError } from "../../contracts/app-error";
import { ZTuneGoal, ZTuneReport, type TTuneReport, type TTuneResultSummary } from "../../contracts/tune";
import type { PrismaClient } from "../../generated/prisma/client";
import type { Logger } from "../../server/logger";
import { TUNE_QUEUE_NAME, type TJobQueue, type TJobQueueMessage } from "../../server/queue/job-queue";
import { buildAttemptPrefix, createKeyToken, deletePrefix, getObjectBytes, putObject, type TObjectStore } from "../../server/storage/object-store";
import { holdJobLease } from "../jobs/hold-job-lease";
import { failJob, publishJobResult, releaseJob, type TJobLease, type TUploadedArtifact } from "../jobs/job-lease";
import { createJobLogWriter } from "../jobs/job-log-writer";
import { JobAbortedError } from "../jobs/run-compression-job";
import { describeModelBytes } from "./model-traits";
import { runTuneSearch, type TTrialBackend } from "./run-tune-search";
import { cancelAllTuneTrials, claimTuneJob, createDatabaseTrialBackend, writeTuneLiveResult } from "./tune-trial-store";

export type TTuneConsumerOptions = {
  prisma: PrismaClient;
  queue: TJobQueue;
  store: TObjectStore;
  workerId: string;
  logger: Logger;
  /** Coordinators run at once in this process (they mostly wait: cheap). */
  concurrency?: number;
  heartbeatMs: number;
  pollingIntervalSeconds: number;
  /** How often a coordinator looks at its trials. */
  trialPollMs?: number;
  /** Trials in flight per tune job. */
  maxParallelTrials?: number;
};

export type TTuneConsumer = {
  runningJobIds: () => string[];
  /** Stops taking tune jobs and hands running coordinators back to the queue (they resume elsewhere). */
  stop: () => Promise<void>;
};

/** Starts the consumer; resolves once pg-boss polls the tune queue. */
export async function startTuneConsumer(opts: TTuneConsumerOptions): Promise<TTuneConsumer> {
  const { prisma, queue, store, workerId, logger } = opts;
  const active = new Map<string, { lease: TJobLease; controller: AbortController }>();
  const handlers = new Set<Promise<void>>();
  let stopping = false;

  const runOne = async (jobId: string): Promise<void> => {
    const job = await claimTuneJob(prisma, jobId, workerId);
    if (!job) return;
    const log = logger.child({ jobId, attempt: job.attempt, component: "tune" });
    // The job page's Logs panel: what the coordinator decided, trial by trial (JobLog rows, best effort).
    const jobLog = createJobLogWriter(prisma, { jobId, attempt: job.attempt }, { onWriteError: (err) => log.warn({ err }, "writing tune log lines failed") });
    const loggedTrialStates = new Map<string, string>();
    const logTrials = (report: TTuneReport) => {
      for (const t of report.trials) {
        if (loggedTrialStates.get(t.jobId) === t.state) continue;
        loggedTrialStates.set(t.jobId, t.state);
        const metrics =
          t.state === "succeeded"
            ? ` (${goalMetric} ${t.floorValue?.toFixed(4) ?? "?"}, size ${t.sizeRatio !== undefined ? `${(t.sizeRatio * 100).toFixed(1)}%` : "?"}, latency ${t.latencyRatioP50?.toFixed(2) ?? "?"}×)`
            : "";
        jobLog.info(`trial ${t.candidateId} ${t.state === "queued" ? "queued" : t.state}${metrics}`);
      }
    };
    let goalMetric = "fidelity";
    const controller = new AbortController();
    active.set(jobId, { lease: job, controller });
    const held = holdJobLease(prisma, job, { heartbeatMs: opts.heartbeatMs, controller, logger: log });
    const abortFromDatabase = held.abortFromDatabase;
    let attemptPrefix: string | undefined;
    try {
      log.info("tune job claimed");
      const goal = ZTuneGoal.parse(job.goal);
      goalMetric = goal.floor.metric;
      jobLog.info(`attempt ${job.attempt} started on worker ${workerId}: keep ${goal.floor.metric} ≥ ${goal.floor.min}, minimize ${goal.objective}, at most ${goal.budget.maxTrials} trials`);
      const model = await prisma.model.findFirst({ where: { id: job.modelId, workspaceId: job.workspaceId }, select: { storageKey: true, name: true } });
      if (!model) throw new JobFailure("the tune job's model was deleted before the job ran");
      const traits = describeModelBytes(await getObjectBytes(store, model.storageKey));
      const previous = readPreviousReport(job.result);
      const backend: TTrialBackend = createDatabaseTrialBackend({ prisma, queue, store, lease: job });
      const outcome = await runTuneSearch({
        tuneJobId: jobId,
        goal,
        model: traits,
        backend,
        signal: controller.signal,
        maxParallelTrials: opts.maxParallelTrials,
        pollIntervalMs: opts.trialPollMs,
        startedAtMs: job.startedAt.getTime(),
        knownTrials: new Map(previous?.trials.map((t) => [t.candidateId, { rationale: t.rationale, round: t.round }]) ?? []),
        onProgress: async ({ report, finished, inFlight }) => {
          logTrials(report);
          const stage = `tuning: ${finished} trial(s) finished, ${inFlight} running`;
          const ours = await writeTuneLiveResult(prisma, job, { kind: "tune", live: true, report }, stage, Math.min(0.99, finished / goal.budget.maxTrials));
          if (!ours) await abortFromDatabase();
        },
      });
      if (controller.signal.aborted) throw controller.signal.reason;
      logTrials(outcome.report);
      for (const line of outcome.report.explanation) jobLog.info(line);
      await jobLog.flush(); // before the job turns succeeded, so a follower sees every line
      const published = await publishTuneResult({ prisma, store, lease: job, report: outcome.report, modelName: model.name }, (p) => (attemptPrefix = p));
      if (published) {
        attemptPrefix = undefined;
        log.info({ stoppedBecause: outcome.stoppedBecause, trials: outcome.report.trials.length, recommended: outcome.report.recommendedJobId }, "tune job succeeded");
      }
    } catch (err) {
      if (controller.signal.aborted) {
        const reason = controller.signal.reason instanceof JobAbortedError ? controller.signal.reason.reason : "aborted";
        log.info({ reason }, "tune job stopped");
        jobLog.warn(`stopped: ${reason}${reason === "canceled" ? "; unfinished trials are canceled, finished ones stay available" : ""}`);
        // A canceled tune job cancels its unfinished trials; finished ones stay available.
        if (reason === "canceled") await cancelAllTuneTrials(prisma, jobId).catch((e) => log.warn({ err: e }, "could not cancel trials"));
      } else {
        const userError = err instanceof JobFailure ? err.message : isAppError(err) ? err.userMessage : "internal error while tuning; the team has been notified";
        log.error({ err }, "tune job failed");
        jobLog.error(`failed: ${userError}`);
        if (await failJob(prisma, job, userError).catch(() => false)) await cancelAllTuneTrials(prisma, jobId).catch(() => undefined);
      }
    } finally {
      held.release();
      await jobLog.close();
      active.delete(jobId);
      if (attemptPrefix) await deletePrefix(store, attemptPrefix).catch(() => undefined);
    }
  };

  const onDelivery = async (deliveries: PgBoss.Job<TJobQueueMessage>[]) => {
    for (const d of deliveries) {
      const jobId = d.data?.jobId;
      if (typeof jobId !== "string") continue;
      if (stopping) {
        await queue.enqueue(jobId, { queueName: TUNE_QUEUE_NAME });
        continue;
      }
      const h = runOne(jobId);
      handlers.add(h);
      try {
        await h;
      } finally {
        handlers.delete(h);
      }
    }
  };
  for (let i = 0; i < (opts.concurrency ?? 2); i++) {
    await queue.boss.work<TJobQueueMessage>(TUNE_QUEUE_NAME, { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds }, onDelivery);
  }

  return {
    runningJobIds: () => [...active.keys()],
    stop: async () => {
      if (stopping) return;
      stopping = true;
      await queue.boss.offWork(TUNE_QUEUE_NAME);
      // Coordinators hold no work worth draining: hand them back at once (trials keep running on their workers).
      for (const [jobId, entry] of active) {
        const released = await releaseJob(queue, entry.lease).catch(() => false);
        if (released) {
          // releaseJob enqueues on the compression queue; the compress consumer forwards tune jobs back here.
          logger.info({ jobId }, "handed a tune job back to the queue");
        }
        entry.controller.abort(new JobAbortedError("released"));
      }
      await Promise.allSettled([...handlers]);
    },
  };
}

/** A tune job failure whose message is for the user. */
class JobFailure extends Error {}

function readPreviousReport(result: unknown): TTuneReport | undefined {
  const r = result as { live?: boolean; report?: unknown } | null;
  if (!r?.live) return undefined;
  const parsed = ZTuneReport.safeParse(r.report);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Uploads tune-report.json and a copy of the recommended trial's model under the tune job's attempt prefix and
 * publishes them with the result summary in the lease-guarded transaction. False when the lease was gone.
 */
export async function publishTuneResult(
  input: { prisma: PrismaClient; store: TObjectStore; lease: TJobLease & { workspaceId: string }; report: TTuneReport; modelName: string },
  onPrefix: (prefix: string) => void,
): Promise<boolean> {
  const { prisma, store, lease, report } = input;
  const prefix = buildAttemptPrefix(lease.workspaceId, lease.jobId, lease.attempt, createKeyToken());
  onPrefix(prefix);
  const uploaded: TUploadedArtifact[] = [];
  const reportBytes = new TextEncoder().encode(JSON.stringify(report, null, 2));
  const reportKey = `${prefix}tune-report.json`;
  uploaded.push({ name: "tune-report.json", storageKey: reportKey, contentType: "application/json", ...(await putObject(store, reportKey, reportBytes, "application/json")) });
  const chosenId = report.recommendedJobId;
  if (chosenId) {
    const modelArtifact = await prisma.artifact.findFirst({ where: { jobId: chosenId, name: { endsWith: ".onnx" } }, select: { name: true, storageKey: true } });
    if (modelArtifact) {
      const key = `${prefix}${modelArtifact.name.replace(/[^\w.\-]/g, "_")}`;
      const bytes = await getObjectBytes(store, modelArtifact.storageKey);
      uploaded.push({ name: modelArtifact.name, storageKey: key, contentType: "application/octet-stream", ...(await putObject(store, key, bytes, "application/octet-stream")) });
    }
  }
  const chosen = report.trials.find((t) => t.jobId === (report.recommendedJobId ?? report.closestJobId));
  const summary: TTuneResultSummary = {
    kind: "tune",
    metGoal: report.metGoal,
    stoppedBecause: report.stoppedBecause,
    trials: report.trials.length,
    recommendedJobId: report.recommendedJobId,
    closestJobId: report.closestJobId,
    ...(chosen?.sizeBytes !== undefined ? { sizeBytes: chosen.sizeBytes } : {}),
    ...(chosen?.sizeRatio !== undefined ? { sizeRatio: chosen.sizeRatio } : {}),
    ...(chosen?.latencyRatioP50 !== undefined ? { latencyRatioP50: chosen.latencyRatioP50 } : {}),
    ...(chosen && (chosen.cosine !== undefined || chosen.snrDb !== undefined) ? { fidelity: { cosine: chosen.cosine, snrDb: chosen.snrDb } } : {}),
    ...(chosen?.accuracyTop1 !== undefined ? { accuracyTop1: chosen.accuracyTop1 } : {}),
    explanation: report.explanation,
    artifacts: uploaded.map((a) => ({ name: a.name, sizeBytes: a.sizeBytes })),
  };
  return publishJobResult(prisma, lease, { result: JSON.parse(JSON.stringify(summary)), artifacts: uploaded });
}
