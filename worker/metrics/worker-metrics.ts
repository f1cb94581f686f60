import { isAppError } from "../../contracts";
import { createRegistry, JOB_DURATION_BUCKETS_SECONDS, type TRegistry } from "../../server/metrics/prometheus-text";

/**
 * The worker process's metrics. start-worker.ts records into them with one-line calls; the metrics endpoint
 * (metrics-server.ts) renders them. Per process: Prometheus sums them across worker pods.
 */
const registry = createRegistry();

const jobDuration = registry.histogram(
  "condense_job_duration_seconds",
  "Wall time of job attempts from claim to publication or failure, by pipeline and outcome.",
  JOB_DURATION_BUCKETS_SECONDS,
  ["pipeline", "outcome"],
);
const jobsFailed = registry.counter("condense_jobs_failed_total", "Jobs this worker failed, by reason class.", ["reason_class"]);
const jobsSucceeded = registry.counter("condense_jobs_succeeded_total", "Jobs this worker published, by pipeline.", ["pipeline"]);
const heartbeats = registry.counter("condense_worker_heartbeats_total", "Lease heartbeats this worker sent for its running jobs.");
const jobsRecovered = registry.counter(
  "condense_jobs_recovered_total",
  "Jobs of unresponsive workers this worker's reaper recovered, by action.",
  ["action"],
);
const runningJobs = registry.gauge("condense_worker_running_jobs", "Jobs this worker runs now.");
const startTime = registry.gauge("condense_worker_start_time_seconds", "Unix time this worker process started.");
startTime.set(Math.floor(Date.now() / 1000));
runningJobs.set(0);
heartbeats.inc({}, 0);

/** Longest pipeline label; longer ones are cut (label values stay small and bounded). */
const MAX_PIPELINE_LABEL = 80;

/**
 * A bounded label for a pipeline spec: its pass names joined by "+" ("prune+quantize+analyze").
 * Options are left out on purpose: they are unbounded (numbers, layer names) and would explode the series count.
 */
export function describePipelineLabel(pipeline: unknown): string {
  const steps = (pipeline as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps) || steps.length === 0) return "unknown";
  const names = steps.map((s) => {
    const pass = (s as { pass?: unknown } | null)?.pass;
    return typeof pass === "string" && /^[\w-]{1,32}$/.test(pass) ? pass : "other";
  });
  return names.join("+").slice(0, MAX_PIPELINE_LABEL);
}

/**
 * The reason class of a failed job: the AppError code in lower case for problems with the user's job
 * ("bad_input", "not_found", ...), "internal" for our bugs and unavailable dependencies, "worker_lost" for
 * jobs whose workers kept dying.
 */
export function classifyJobFailure(err: unknown): string {
  if (isAppError(err)) return err.code.toLowerCase();
  return "internal";
}

/** Records a finished attempt. */
export function recordJobFinished(pipeline: unknown, outcome: "succeeded" | "failed", durationSeconds: number, err?: unknown): void {
  const label = describePipelineLabel(pipeline);
  jobDuration.observe(durationSeconds, { pipeline: label, outcome });
  if (outcome === "succeeded") jobsSucceeded.inc({ pipeline: label });
  else jobsFailed.inc({ reason_class: classifyJobFailure(err) });
}

/** Records one heartbeat sent. */
export function recordWorkerHeartbeat(): void {
  heartbeats.inc();
}

/** Sets the number of jobs running in this process. */
export function recordRunningJobs(count: number): void {
  runningJobs.set(count);
}

/** Records a reaper pass's recoveries; jobs it failed count as failed with reason class "worker_lost". */
export function recordReapResult(result: { requeued: readonly unknown[]; failed: readonly unknown[]; redelivered: readonly unknown[] }): void {
  if (result.requeued.length) jobsRecovered.inc({ action: "requeued" }, result.requeued.length);
  if (result.redelivered.length) jobsRecovered.inc({ action: "redelivered" }, result.redelivered.length);
  if (result.failed.length) {
    jobsRecovered.inc({ action: "failed" }, result.failed.length);
    jobsFailed.inc({ reason_class: "worker_lost" }, result.failed.length);
  }
}

/** The worker's registry (the metrics endpoint and tests). */
export function getWorkerRegistry(): TRegistry {
  return registry;
}
