import { JOB_STATES, MODEL_STATES } from "../../contracts";
import type { PrismaClient } from "../db/prisma";
import { createRegistry, type TRegistry } from "./prometheus-text";

/**
 * Metrics of the web tier. Two kinds:
 * - per-process counters (HTTP requests), recorded by the request handler through `recordHttpRequest`;
 * - platform-wide numbers read from PostgreSQL on each scrape (queue depth, upload bytes, worker heartbeats,
 *   webhook deliveries). Every web replica reports the same values for these, so dashboards should use
 *   `max by (...)` (or scrape one replica) rather than `sum` across replicas.
 */

const HTTP_DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const processRegistry = createRegistry();
const httpRequests = processRegistry.counter("condense_http_requests_total", "HTTP requests answered by this web process.", ["route", "method", "status"]);
const httpDuration = processRegistry.histogram(
  "condense_http_request_duration_seconds",
  "Time to answer an HTTP request, by route.",
  HTTP_DURATION_BUCKETS_SECONDS,
  ["route", "method"],
);

/**
 * Records one answered HTTP request. `route` must be a bounded name (a tRPC procedure path such as "jobs.list",
 * or a fixed route like "/api/ready"), never a raw URL: ids in label values would create a series per request.
 */
export function recordHttpRequest(route: string, method: string, status: number, durationSeconds: number): void {
  httpRequests.inc({ route, method: method.toUpperCase(), status: String(status) });
  httpDuration.observe(durationSeconds, { route, method: method.toUpperCase() });
}

/** A worker is listed while it holds a running job whose heartbeat is at most this old. */
const WORKER_RECENT_SECONDS = 120;

type TCountRow = { key: string | null; n: bigint | number | string };

/**
 * Renders the web metrics: this process's HTTP counters plus the platform gauges read now from the database.
 * One query per family; each is an aggregate over indexed or small tables.
 */
export async function renderWebMetrics(prisma: PrismaClient): Promise<string> {
  const db = createRegistry();
  const jobs = db.gauge("condense_jobs", "Jobs by state (queue depth: state=\"queued\").", ["state"]);
  const deliveries = db.gauge("condense_queue_deliveries", "pg-boss deliveries of the job queue by pg-boss state.", ["state"]);
  const uploadBytes = db.counter("condense_upload_bytes_total", "Bytes of completed model uploads still stored (drops when models are deleted).");
  const models = db.gauge("condense_models", "Models by state.", ["state"]);
  const workersBusy = db.gauge("condense_workers_busy", "Workers holding a running job with a heartbeat in the last 2 minutes.");
  const lastHeartbeat = db.gauge(
    "condense_worker_last_heartbeat_timestamp_seconds",
    "Unix time of the latest heartbeat of each busy worker.",
    ["worker_id"],
  );
  const webhookDeliveries = db.counter("condense_webhook_deliveries_total", "Webhook delivery attempts by outcome.", ["outcome"]);
  const webhookMessages = db.gauge("condense_webhook_messages", "Webhook messages by state.", ["state"]);

  const toNumber = (n: TCountRow["n"]): number => Number(n);

  for (const s of JOB_STATES) jobs.set(0, { state: s });
  for (const r of await prisma.$queryRawUnsafe<TCountRow[]>(`SELECT state AS key, count(*) AS n FROM "Job" GROUP BY state`)) {
    jobs.set(toNumber(r.n), { state: r.key ?? "unknown" });
  }

  // pg-boss creates its schema when the first worker or web process starts the queue; absent before that.
  const bossRows = await prisma
    .$queryRawUnsafe<TCountRow[]>(`SELECT state::text AS key, count(*) AS n FROM pgboss.job WHERE name = 'condense-jobs' GROUP BY state`)
    .catch(() => [] as TCountRow[]);
  for (const r of bossRows) deliveries.set(toNumber(r.n), { state: r.key ?? "unknown" });

  for (const s of MODEL_STATES) models.set(0, { state: s });
  let stored = 0;
  for (const r of await prisma.$queryRawUnsafe<(TCountRow & { bytes: bigint | number | string | null })[]>(
    `SELECT state AS key, count(*) AS n, sum("sizeBytes") AS bytes FROM "Model" GROUP BY state`,
  )) {
    models.set(toNumber(r.n), { state: r.key ?? "unknown" });
    // An upload's declared size is only a promise until it completes.
    if (r.key !== "uploading") stored += Number(r.bytes ?? 0);
  }
  uploadBytes.inc({}, stored);

  // heartbeatAt holds UTC wall time without a zone: convert in SQL so no client time zone is involved.
  const heartbeats = await prisma.$queryRawUnsafe<{ key: string; at: number }[]>(
    `SELECT "workerId" AS key, extract(epoch FROM max("heartbeatAt") AT TIME ZONE 'UTC')::float8 AS at FROM "Job"
      WHERE state = 'running' AND "workerId" IS NOT NULL
        AND "heartbeatAt" > (now() AT TIME ZONE 'UTC') - make_interval(secs => $1)
      GROUP BY "workerId"`,
    WORKER_RECENT_SECONDS,
  );
  workersBusy.set(heartbeats.length);
  for (const h of heartbeats) lastHeartbeat.set(Number(h.at), { worker_id: h.key });

  webhookDeliveries.inc({ outcome: "success" }, 0);
  webhookDeliveries.inc({ outcome: "failure" }, 0);
  for (const r of await prisma.$queryRawUnsafe<TCountRow[]>(
    `SELECT CASE WHEN "statusCode" BETWEEN 200 AND 299 THEN 'success' ELSE 'failure' END AS key, count(*) AS n
       FROM "WebhookAttempt" GROUP BY 1`,
  )) {
    webhookDeliveries.inc({ outcome: r.key ?? "failure" }, toNumber(r.n));
  }
  for (const s of ["pending", "delivered", "failed"]) webhookMessages.set(0, { state: s });
  for (const r of await prisma.$queryRawUnsafe<TCountRow[]>(`SELECT state AS key, count(*) AS n FROM "WebhookMessage" GROUP BY state`)) {
    webhookMessages.set(toNumber(r.n), { state: r.key ?? "unknown" });
  }

  return processRegistry.render() + db.render();
}

/** The process-local registry (tests). */
export function getWebProcessRegistry(): TRegistry {
  return processRegistry;
}
