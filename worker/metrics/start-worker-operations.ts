import type { TConfig } from "../../server/config";
import type { Logger } from "../../server/logger";
import { configureExecutionProvider } from "../runtime/ort";
import { startWorkerMetricsFromConfig, type TWorkerMetricsServer } from "./metrics-server";

/**
 * Operations set-up of a worker process, before it takes jobs: resolves WORKER_EXECUTION_PROVIDER (sessions and
 * report provenance use the result) and starts the metrics/health endpoint when WORKER_METRICS_PORT is set.
 */
export async function startWorkerOperations(config: TConfig, logger: Logger): Promise<{ executionProvider: string; metrics?: TWorkerMetricsServer }> {
  const choice = await configureExecutionProvider(config.WORKER_EXECUTION_PROVIDER);
  if (choice.warning) logger.warn({ requested: choice.requested, executionProvider: choice.executionProvider, reason: choice.warning }, "execution provider fallback");
  else logger.info({ requested: choice.requested, executionProvider: choice.executionProvider }, "execution provider selected");
  const metrics = await startWorkerMetricsFromConfig(config, logger);
  return { executionProvider: choice.executionProvider, metrics };
}
