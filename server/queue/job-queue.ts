import pg from "pg";
import PgBoss from "pg-boss";
import { getConfig } from "../config";
import { createLogger, type Logger } from "../logger";

/**
 * The job queue: pg-boss 10 on the platform database. A queue message only says "job X wants a worker";
 * the Job row stays the source of truth, and a worker takes a job with an atomic claim on that row
 * (worker/jobs/job-lease.ts). So a duplicate delivery (pg-boss retrying an expired delivery, a re-enqueue
 * by the reaper) is harmless: the claim guard lets exactly one of them run the job.
 */

/** The pg-boss queue every compression job goes through. */
export const JOB_QUEUE_NAME = "condense-jobs";

/**
 * The queue of tune coordinators (issue 10). A tune job waits for its trials, so it must never sit in a slot of
 * JOB_QUEUE_NAME that its own trials need: every worker runs a separate, small consumer of this queue.
 */
export const TUNE_QUEUE_NAME = "condense-tune";

/** Which queue a Job row's deliveries go to, by Job.kind. */
export function queueNameForKind(kind: string | null | undefined): string {
  return kind === "tune" ? TUNE_QUEUE_NAME : JOB_QUEUE_NAME;
}

/** pg-boss's schema in the platform database. */
export const JOB_QUEUE_SCHEMA = "pgboss";

/** The queue message body. Nothing else travels in it: the worker reads the Job row. */
export type TJobQueueMessage = { jobId: string };

/** Runs SQL on one connection; handed to pg-boss so a send can join the caller's transaction. */
export type TSqlExecutor = { executeSql: (text: string, values?: unknown[]) => Promise<{ rows: any[] }> };

export type TJobQueue = {
  boss: PgBoss;
  /** The pool pg-boss runs on; also used for transactions that must change a Job row and enqueue together. */
  pool: pg.Pool;
  /**
   * Sends a delivery for the job; with `db`, inside that connection's open transaction. `queueName` defaults to
   * JOB_QUEUE_NAME (use queueNameForKind for a row of any kind).
   */
  enqueue: (jobId: string, opts?: { db?: TSqlExecutor; queueName?: string }) => Promise<void>;
  /** Runs `fn` in one transaction on one pooled connection (BEGIN/COMMIT, ROLLBACK on throw). */
  withTransaction: <T>(fn: (client: pg.PoolClient, db: TSqlExecutor) => Promise<T>) => Promise<T>;
  /** Stops pg-boss (its workers must be gone already) and closes the pool. */
  stop: () => Promise<void>;
};

export type TCreateJobQueueOptions = {
  /** Run pg-boss maintenance (expiry, archiving) in this process. Default true; several processes coordinate via advisory locks. */
  supervise?: boolean;
  /** Pool size; a worker needs about concurrency + 3. */
  maxConnections?: number;
  logger?: Logger;
};

/**
 * pg-boss delivery expiry. Our own lease (Job.heartbeatAt, WORKER_LEASE_SECONDS) detects dead workers; pg-boss's
 * expiry only decides when pg-boss gives up on a delivery, and its handler timeout (pg-boss rejects a handler
 * after this long and fetches the next job while ours would keep running) must never cut a long job short.
 * So it sits just under pg-boss's 24 h maximum.
 */
const DELIVERY_EXPIRE_SECONDS = 23 * 60 * 60;

/**
 * Creates the queue on the given database, installs/migrates pg-boss's schema if needed, creates the queue
 * (idempotent) and returns it started. For workers and tests; the web process uses `enqueueJob`.
 */
export async function createJobQueue(databaseUrl: string, opts: TCreateJobQueueOptions = {}): Promise<TJobQueue> {
  const logger = opts.logger ?? createLogger("queue");
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.maxConnections ?? 6,
    application_name: "condense-queue",
    idleTimeoutMillis: 10_000,
  });
  pool.on("error", (err) => logger.warn({ err }, "queue database connection error"));
  const db: TSqlExecutor = { executeSql: (text, values) => pool.query(text, values as unknown[]) };
  const boss = new PgBoss({
    db,
    schema: JOB_QUEUE_SCHEMA,
    supervise: opts.supervise ?? true,
    // No cron schedules in Condense; the timekeeper would only add polling.
    schedule: false,
    // Completed deliveries carry nothing the Job row does not have: archive them quickly.
    archiveCompletedAfterSeconds: 60 * 60,
  });
  boss.on("error", (err) => logger.warn({ err }, "pg-boss error"));
  // pg-boss 10 calls complete()/fail() after a handler without awaiting them (manager.js): a connection dropped at
  // that moment becomes an unhandled rejection that kills the worker. The delivery is then retried or expired by
  // pg-boss and our lease reaper, so logging is the right handling here.
  for (const method of ["complete", "fail"] as const) {
    const original = boss[method].bind(boss) as (...args: unknown[]) => Promise<unknown>;
    (boss as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const pending = original(...args);
      pending.catch((err) => logger.warn({ err }, `pg-boss ${method} failed`));
      return pending;
    };
  }
  try {
    await boss.start();
    await boss.createQueue(JOB_QUEUE_NAME, {
      name: JOB_QUEUE_NAME,
      policy: "standard",
      // Retries only cover infrastructure failures of a delivery (the handler threw: database unreachable).
      // Pipeline failures never throw to pg-boss; they fail the Job row for good.
      retryLimit: 5,
      retryDelay: 5,
      retryBackoff: true,
      expireInSeconds: DELIVERY_EXPIRE_SECONDS,
    });
    // Same delivery rules for coordinators: the Job row and its lease decide, the queue only wakes a worker.
    await boss.createQueue(TUNE_QUEUE_NAME, {
      name: TUNE_QUEUE_NAME,
      policy: "standard",
      retryLimit: 5,
      retryDelay: 5,
      retryBackoff: true,
      expireInSeconds: DELIVERY_EXPIRE_SECONDS,
    });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }

  const enqueue = async (jobId: string, sendOpts: { db?: TSqlExecutor; queueName?: string } = {}): Promise<void> => {
    const message: TJobQueueMessage = { jobId };
    await boss.send(sendOpts.queueName ?? JOB_QUEUE_NAME, message, sendOpts.db ? { db: sendOpts.db } : {});
  };

  const withTransaction = async <T>(fn: (client: pg.PoolClient, db: TSqlExecutor) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    // A checked-out client has no pool error listener: without this, a dropped connection is an unhandled
    // 'error' event that crashes the process. A broken client is destroyed instead of returned to the pool.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const result = await fn(client, { executeSql: (text, values) => client.query(text, values as unknown[]) });
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.removeListener("error", onError);
      client.release(broken);
    }
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await boss.stop({ graceful: false, close: false, wait: true }).catch((err) => logger.warn({ err }, "pg-boss stop failed"));
    await pool.end().catch(() => undefined);
  };

  return { boss, pool, enqueue, withTransaction, stop };
}

const globalForQueue = globalThis as unknown as { condenseJobQueue?: Promise<TJobQueue> };

/** The process-wide queue on DATABASE_URL, started on first use (reused across Next.js hot reloads). */
export function getJobQueue(): Promise<TJobQueue> {
  if (!globalForQueue.condenseJobQueue) {
    const url = getConfig().DATABASE_URL;
    if (!url) return Promise.reject(new Error("DATABASE_URL is not set: start the platform with `condense serve` or set it"));
    const started = createJobQueue(url, { maxConnections: 4 });
    // A failed start must not poison the process: the next call tries again.
    started.catch(() => {
      if (globalForQueue.condenseJobQueue === started) globalForQueue.condenseJobQueue = undefined;
    });
    globalForQueue.condenseJobQueue = started;
  }
  return globalForQueue.condenseJobQueue;
}

/**
 * Hands a queued Job row to the workers. Call it after the row (state "queued") is committed. Tune jobs may be
 * sent here too: the worker that receives one forwards it to TUNE_QUEUE_NAME (worker/jobs/start-worker.ts).
 * If this throws (queue database down), the row is still safe: every worker's reaper re-enqueues
 * queued jobs that have no pending delivery after WORKER_LEASE_SECONDS.
 */
export async function enqueueJob(jobId: string): Promise<void> {
  const queue = await getJobQueue();
  await queue.enqueue(jobId);
}

/**
 * Hands a queued tune Job row straight to the coordinator queue (issue 10), skipping the forward through
 * JOB_QUEUE_NAME (which waits for a free compression slot). Same recovery as enqueueJob if it throws.
 */
export async function enqueueTuneJob(jobId: string): Promise<void> {
  const queue = await getJobQueue();
  await queue.enqueue(jobId, { queueName: TUNE_QUEUE_NAME });
}

/** Stops the process-wide queue if it was started (graceful shutdown of the web process). */
export async function stopJobQueue(): Promise<void> {
  const pending = globalForQueue.condenseJobQueue;
  globalForQueue.condenseJobQueue = undefined;
  if (!pending) return;
  const queue = await pending.catch(() => undefined);
  await queue?.stop();
}
