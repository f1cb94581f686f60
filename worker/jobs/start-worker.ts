import { randomBytes } from "node:crypto";
import os from "node:os";
import type PgBoss from "pg-boss";
import type { TConfig } from "../../server/config";
import { createPrismaClient } from "../../server/db/prisma";
import { createLogger, type Logger } from "../../server/logger";
import { createJobQueue, JOB_QUEUE_NAME, type TJobQueue, type TJobQueueMessage } from "../../server/queue/job-queue";
import { createObjectStore, deletePrefix } from "../../server/storage/object-store";
import { isDatabaseConnectionError } from "./is-connection-error";
import { holdJobLease } from "./hold-job-lease";
import { claimJob, failJob, publishJobResult, releaseJob, writeJobProgress, type TJobLease } from "./job-lease";
import { createProgressReporter } from "./progress-reporter";
import { reapStaleJobs } from "./reap-stale-jobs";
import { describeJobFailure, JobAbortedError, runCompressionJob, type TJobDeps } from "./run-compression-job";
// Webhooks (issue 7): job events into the outbox, and the delivery engine inside the worker process.
import { recordJobEvent } from "../../server/webhooks/record-job-event";
import { startWebhookDispatcher, type TWebhookDispatcher } from "../../server/webhooks/start-webhook-dispatcher";
import { recordJobFinished, recordReapResult, recordRunningJobs, recordWorkerHeartbeat } from "../metrics/worker-metrics";
// Tune coordinators (issue 10): their own queue and consumer, so a tune job never takes a slot its trials need.
import { TUNE_QUEUE_NAME } from "../../server/queue/job-queue";
import { startTuneConsumer, type TTuneConsumer } from "../tune/start-tune-consumer";

export type TStartWorkerOptions = {
  config: TConfig;
  /** Human name for logs and the Job row; a random suffix is always added so two processes never share a lease. */
  workerId?: string;
  /** Jobs run at once (default WORKER_CONCURRENCY). */
  concurrency?: number;
  logger?: Logger;
  /** How long a graceful stop waits for running jobs before handing them back to the queue. */
  drainTimeoutMs?: number;
  /** pg-boss polling interval per slot: the idle pickup delay is at most this. */
  pollingIntervalSeconds?: number;
  /** Overrides for tests (the pipeline). */
  deps?: Pick<TJobDeps, "runPipeline">;
};

export type TWorker = {
  /** The id written to Job.workerId. */
  workerId: string;
  /** Ids of jobs this process is running now. */
  runningJobIds: () => string[];
  /**
   * Stops taking jobs. With drain (default) running jobs may finish until the timeout; whatever still runs then
   * (or at once without drain) is handed back to the queue, never failed. Calling it again with `drain: false`
   * cuts a drain short. Resolves when everything is closed.
   */
  stop: (opts?: { drain?: boolean; timeoutMs?: number }) => Promise<void>;
};

/** Progress writes per job: at most 2 per second. */
const PROGRESS_MIN_INTERVAL_MS = 500;
/** Default graceful-stop budget; below Kubernetes' default 30 s termination grace period. */
const DEFAULT_DRAIN_TIMEOUT_MS = 25_000;
/** pg-boss's minimum; a poll is one indexed `SKIP LOCKED` query, cheap enough to do twice a second per slot. */
const DEFAULT_POLLING_INTERVAL_SECONDS = 0.5;

type TActiveJob = { lease: TJobLease; controller: AbortController };

/**
 * Starts a worker: `concurrency` pg-boss consumers on the job queue, each running one job at a time under a lease
 * (claim → heartbeat → publish, see job-lease.ts), plus a reaper that recovers jobs of dead workers.
 */
export async function startWorker(opts: TStartWorkerOptions): Promise<TWorker> {
  const { config } = opts;
  if (!config.DATABASE_URL) throw new Error("the worker needs DATABASE_URL");
  if (!config.S3_ENDPOINT) throw new Error("the worker needs S3_ENDPOINT");
  const concurrency = opts.concurrency ?? config.WORKER_CONCURRENCY;
  const tuneConcurrency = config.WORKER_TUNE_CONCURRENCY;
  const workerId = `${opts.workerId ?? `${os.hostname()}-${process.pid}`}-${randomBytes(3).toString("hex")}`;
  const logger = (opts.logger ?? createLogger("worker", config.LOG_LEVEL)).child({ workerId });
  const heartbeatMs = config.WORKER_HEARTBEAT_SECONDS * 1000;
  const reapIntervalMs = Math.max(1000, Math.min(5000, (config.WORKER_LEASE_SECONDS * 1000) / 3));

  const prisma = createPrismaClient(config.DATABASE_URL);
  const store = createObjectStore(config);
  let queue: TJobQueue;
  try {
    // + 3 for the webhook dispatcher's outbox pass and deliveries (issue 7).
    // + tuneConcurrency for the tune consumer's polls and trial inserts (issue 10).
    queue = await createJobQueue(config.DATABASE_URL, { maxConnections: concurrency + 6 + tuneConcurrency, logger });
  } catch (err) {
    await prisma.$disconnect().catch(() => undefined);
    throw err;
  }
  const deps: TJobDeps = { prisma, store, runPipeline: opts.deps?.runPipeline };

  const active = new Map<string, TActiveJob>();
  const handlers = new Set<Promise<void>>();
  let stopping = false;

  /** One job's whole life in this worker. Never throws for job failures: those end in the Job row. */
  const runJob = async (jobId: string): Promise<void> => {
    const job = await claimJob(prisma, jobId, workerId);
    if (!job) {
      // Canceled while queued, already finished, or another delivery of it runs elsewhere: ack and move on.
      logger.debug({ jobId }, "delivery skipped: job is not claimable");
      return;
    }
    const jobLogger = logger.child({ jobId, attempt: job.attempt });
    jobLogger.info("job claimed");
    // issue 7: job.started/succeeded/failed are written inside claimJob/publishJobResult/failJob's transactions;
    // only the throttled job.progress is emitted here (a lost progress event is logged, never fails the job).
    const emitJobEvent = (type: Parameters<typeof recordJobEvent>[2]) =>
      recordJobEvent(prisma, jobId, type).catch((err) => jobLogger.warn({ err, type }, "could not record job event"));
    let lastProgressEventMs = 0;
    const controller = new AbortController();
    active.set(jobId, { lease: job, controller });
    const claimedAtMs = Date.now(); // metrics (issue 9)
    recordRunningJobs(active.size);

    const held = holdJobLease(prisma, job, { heartbeatMs, controller, logger: jobLogger, onHeartbeat: recordWorkerHeartbeat });
    const abortFromDatabase = held.abortFromDatabase;

    let stage = "starting";
    const reporter = createProgressReporter({
      minIntervalMs: PROGRESS_MIN_INTERVAL_MS,
      write: async (p) => {
        const ours = await writeJobProgress(prisma, job, p);
        // issue 7: job.progress, throttled per job.
        if (ours && Date.now() - lastProgressEventMs >= config.WEBHOOK_PROGRESS_MIN_INTERVAL_SECONDS * 1000) {
          lastProgressEventMs = Date.now();
          await emitJobEvent("job.progress");
        }
        return ours;
      },
      onLost: () => void abortFromDatabase(),
      onError: (err) => jobLogger.warn({ err }, "progress write failed"),
    });

    let attemptPrefix: string | undefined;
    try {
      const output = await runCompressionJob(
        {
          job,
          logger: jobLogger,
          signal: controller.signal,
          reportProgress: (p) => {
            stage = p.stage;
            reporter.report(p);
          },
        },
        deps,
      );
      attemptPrefix = output.attemptPrefix;
      reporter.close();
      if (controller.signal.aborted) throw controller.signal.reason;
      // INVARIANT: publication is the single guarded transaction; if it matches no row, the attempt's files go.
      const published = await publishJobResult(prisma, job, { result: output.result, artifacts: output.artifacts });
      if (published) {
        attemptPrefix = undefined;
        jobLogger.info({ artifacts: output.artifacts.length }, "job succeeded");
        recordJobFinished(job.pipeline, "succeeded", (Date.now() - claimedAtMs) / 1000);
      } else {
        jobLogger.info("job was canceled or taken over before publication; its files are discarded");
      }
    } catch (err) {
      // Only our own abort means "stopped from outside"; an abort-like error we did not ask for is a failure.
      if (controller.signal.aborted) {
        const reason = controller.signal.reason instanceof JobAbortedError ? controller.signal.reason.reason : "aborted";
        jobLogger.info({ reason }, "job stopped");
      } else if (isDatabaseConnectionError(err)) {
        // Not the job's fault: leave it running without heartbeats so the lease reaper retries it.
        jobLogger.warn({ err, stage }, "lost the database connection; the job will be retried after its lease lapses");
      } else {
        const { userError, internal } = describeJobFailure(err, stage);
        if (internal) jobLogger.error({ err, stage }, "job failed with an internal error");
        else jobLogger.info({ userError }, "job failed");
        await failJob(prisma, job, userError); // writes job.failed in the same transaction (issue 7)
        recordJobFinished(job.pipeline, "failed", (Date.now() - claimedAtMs) / 1000, err);
      }
    } finally {
      held.release();
      reporter.close();
      active.delete(jobId);
      recordRunningJobs(active.size);
      if (attemptPrefix) await deletePrefix(store, attemptPrefix).catch((err) => jobLogger.warn({ err }, "could not delete discarded files"));
    }
  };

  const onDelivery = async (deliveries: PgBoss.Job<TJobQueueMessage>[]): Promise<void> => {
    for (const delivery of deliveries) {
      const jobId = delivery.data?.jobId;
      if (typeof jobId !== "string") {
        logger.warn({ deliveryId: delivery.id }, "dropping a queue message without a job id");
        continue;
      }
      if (stopping) {
        // pg-boss fetched this just as we stopped: hand it straight back instead of starting it.
        await queue.enqueue(jobId);
        continue;
      }
      // issue 10: jobs.create-style callers (and releaseJob) send every kind here; tune jobs belong to the
      // coordinator queue. Forwarding costs one indexed read per delivery.
      const kindRow = await prisma.job.findUnique({ where: { id: jobId }, select: { kind: true, state: true } });
      if (kindRow?.kind === "tune") {
        if (kindRow.state === "queued") await queue.enqueue(jobId, { queueName: TUNE_QUEUE_NAME });
        continue;
      }
      const handler = runJob(jobId);
      handlers.add(handler);
      try {
        await handler;
      } finally {
        handlers.delete(handler);
      }
    }
  };

  for (let i = 0; i < concurrency; i++) {
    await queue.boss.work<TJobQueueMessage>(
      JOB_QUEUE_NAME,
      { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? DEFAULT_POLLING_INTERVAL_SECONDS },
      onDelivery,
    );
  }

  // issue 10: tune coordinators, on their own queue with their own (small) concurrency.
  const tuneConsumer: TTuneConsumer = await startTuneConsumer({
    prisma,
    queue,
    store,
    workerId,
    logger,
    concurrency: tuneConcurrency,
    heartbeatMs,
    pollingIntervalSeconds: opts.pollingIntervalSeconds ?? DEFAULT_POLLING_INTERVAL_SECONDS,
  });

  let reaping: Promise<void> | undefined;
  const reap = (): Promise<void> => {
    if (reaping || stopping) return reaping ?? Promise.resolve();
    reaping = reapOnce().finally(() => {
      reaping = undefined;
    });
    return reaping;
  };
  const reapOnce = async (): Promise<void> => {
    try {
      const result = await reapStaleJobs(queue, store, {
        leaseSeconds: config.WORKER_LEASE_SECONDS,
        maxAttempts: config.JOB_MAX_ATTEMPTS,
      });
      recordReapResult(result);
      if (result.requeued.length || result.failed.length || result.redelivered.length) {
        logger.warn(result, "recovered jobs of workers that stopped responding");
      }
    } catch (err) {
      logger.warn({ err }, "reaper pass failed");
    }
  };
  const reaper = setInterval(() => void reap(), reapIntervalMs);
  void reap();

  // issue 7: webhook deliveries run in every worker process.
  let webhooks: TWebhookDispatcher | undefined;
  try {
    webhooks = await startWebhookDispatcher({ queue, prisma, config, logger: logger.child({ component: "webhooks" }) });
  } catch (err) {
    logger.error({ err }, "webhook dispatcher did not start; jobs still run, webhooks wait for another worker");
  }

  logger.info({ concurrency, heartbeatSeconds: config.WORKER_HEARTBEAT_SECONDS, leaseSeconds: config.WORKER_LEASE_SECONDS }, "worker started");

  let stopPromise: Promise<void> | undefined;
  let cutDrainShort: (() => void) | undefined;
  const stop = (stopOpts: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> => {
    const drain = stopOpts.drain ?? true;
    if (stopPromise) {
      if (!drain) cutDrainShort?.();
      return stopPromise;
    }
    stopping = true;
    stopPromise = (async () => {
      clearInterval(reaper);
      await queue.boss.offWork(JOB_QUEUE_NAME);
      await tuneConsumer.stop(); // issue 10: coordinators resume on another worker
      await reaping;
      // A poll already in flight may still deliver one job; onDelivery hands it back (stopping is set).
      await sleep(300);
      if (drain && active.size > 0) {
        logger.info({ running: [...active.keys()] }, "draining: waiting for running jobs");
        const drainTimeoutMs = stopOpts.timeoutMs ?? opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, drainTimeoutMs);
          cutDrainShort = () => {
            clearTimeout(timer);
            resolve();
          };
          void Promise.allSettled([...handlers]).then(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      for (const [jobId, entry] of active) {
        const released = await releaseJob(queue, entry.lease).catch((err) => {
          logger.error({ err, jobId }, "could not hand a running job back; the reaper will recover it");
          return false;
        });
        if (released) logger.info({ jobId }, "handed a running job back to the queue");
        entry.controller.abort(new JobAbortedError("released"));
      }
      await Promise.allSettled([...handlers]);
      // Closing pools whose connections the server just dropped can wait on a promise that nothing will settle; with
      // no timer left the event loop empties and Node exits 0 mid-stop, silently. Bound each close (the timer also
      // keeps the process alive) so a stop always ends here, logged.
      await closeWithin(logger, webhooks?.stop(), "webhook dispatcher"); // issue 7
      await closeWithin(logger, queue.stop(), "job queue");
      await closeWithin(logger, prisma.$disconnect(), "database client");
      logger.info("worker stopped");
    })();
    return stopPromise;
  };

  return { workerId, runningJobIds: () => [...active.keys()], stop };
}

/** How long one close step of a stop may take before the worker stops without it. */
const CLOSE_TIMEOUT_MS = 5_000;

/** Awaits a close step for at most CLOSE_TIMEOUT_MS; failures and timeouts are logged, never thrown. */
async function closeWithin(logger: Logger, closing: Promise<unknown> | undefined, what: string): Promise<void> {
  if (!closing) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), CLOSE_TIMEOUT_MS)));
  const outcome = await Promise.race([closing.then(() => "closed" as const), timedOut]).catch((err: unknown) => {
    logger.warn({ err }, `${what} did not close cleanly`);
    return "failed" as const;
  });
  clearTimeout(timer);
  if (outcome === "timeout") logger.warn(`${what} did not close within ${CLOSE_TIMEOUT_MS} ms; stopping anyway`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
