import { ConfigError, loadConfig } from "../../server/config";
import { createLogger } from "../../server/logger";
import { parseOptionsOnly, type TOptionsSpec } from "../args";
import { CliError, CliUsageError } from "../errors";

const USAGE = "usage: condense worker [--concurrency N] [--id NAME] [--drain-timeout SECONDS]";

type TWorkerArgs = { concurrency?: number; id?: string; drainTimeoutSeconds?: number };

const WORKER_OPTIONS = {
  concurrency: { type: "string", valueName: "N", description: "Jobs run at once" },
  id: { type: "string", valueName: "NAME", description: "Worker name in logs and job records" },
  "drain-timeout": { type: "string", valueName: "SECONDS", description: "How long a stop waits for running jobs" },
} as const satisfies TOptionsSpec;

/** Parses `condense worker` flags with the CLI's one parser; wrong ones throw CliUsageError (exit 2). */
export function parseWorkerArgs(args: readonly string[]): TWorkerArgs {
  const options = parseOptionsOnly(args, WORKER_OPTIONS, USAGE);
  const out: TWorkerArgs = {};
  if (options.concurrency !== undefined) {
    const n = Number(options.concurrency);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new CliUsageError(`--concurrency must be a whole number from 1 to 64\n${USAGE}`);
    out.concurrency = n;
  }
  if (options.id !== undefined) {
    if (!/^[\w.\-]{1,64}$/.test(options.id)) throw new CliUsageError(`--id may use letters, digits, ".", "_" and "-" (at most 64)\n${USAGE}`);
    out.id = options.id;
  }
  if (options["drain-timeout"] !== undefined) {
    const seconds = Number(options["drain-timeout"]);
    if (!Number.isFinite(seconds) || seconds < 0) throw new CliUsageError(`--drain-timeout must be a number of seconds >= 0\n${USAGE}`);
    out.drainTimeoutSeconds = seconds;
  }
  return out;
}

/**
 * `condense worker`: runs jobs from the queue until SIGTERM/SIGINT. The first signal drains (running jobs may
 * finish within the drain timeout, then are handed back to the queue); a second one hands them back at once.
 * Logs are JSON lines on stdout.
 */
export async function workerCommand(args: string[]): Promise<void> {
  const flags = parseWorkerArgs(args);
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, { exitCode: 2 });
    throw err;
  }
  if (!config.DATABASE_URL || !config.S3_ENDPOINT) {
    const missing = [!config.DATABASE_URL && "DATABASE_URL", !config.S3_ENDPOINT && "S3_ENDPOINT"].filter(Boolean).join(" and ");
    throw new CliError(`invalid config: the worker needs ${missing} (a standalone worker has no embedded database or storage)`, { exitCode: 2 });
  }

  const logger = createLogger("worker", config.LOG_LEVEL);
  // pg-boss 10 completes/fails deliveries without awaiting the promise (manager.js, a private class we cannot wrap):
  // when PostgreSQL drops connections at that instant the rejection is unhandled and would kill the worker.
  // A lost connection is recoverable (pg-boss retries/expires the delivery, our lease reaper the job); anything
  // else still crashes the process loudly, as it should.
  const { isDatabaseConnectionError } = await import("../../worker/jobs/is-connection-error");
  process.on("unhandledRejection", (reason) => {
    if (isDatabaseConnectionError(reason)) {
      logger.warn({ err: reason }, "database connection lost during a background queue call; continuing");
      return;
    }
    logger.fatal({ err: reason }, "unhandled rejection");
    process.exit(1);
  });
  // Imported only now: a config mistake is reported before loading Prisma, the S3 SDK and onnxruntime.
  // ---- issue 9: execution provider from config + metrics/health endpoint (worker/metrics) ----
  await (await import("../../worker/metrics/start-worker-operations")).startWorkerOperations(config, logger);
  // ---- end issue 9 ----
  const { startWorker } = await import("../../worker/jobs/start-worker");
  const worker = await startWorker({
    config,
    workerId: flags.id,
    concurrency: flags.concurrency,
    logger,
    drainTimeoutMs: flags.drainTimeoutSeconds === undefined ? undefined : flags.drainTimeoutSeconds * 1000,
  });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    logger.info({ signal }, signals === 1 ? "stopping: draining running jobs" : "stopping now: handing running jobs back");
    worker
      .stop({ drain: signals === 1 })
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error({ err }, "worker did not stop cleanly");
        process.exit(1);
      });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
