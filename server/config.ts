import path from "node:path";
import { z } from "zod";

/**
 * Platform configuration from the environment, validated once at start-up.
 * Unset DATABASE_URL / S3_ENDPOINT mean "embedded": `condense serve` starts PGlite and s3rver itself
 * and fills these in before anything else reads them.
 */
const ZBool = z
  .enum(["true", "false", "1", "0"])
  .transform((v) => v === "true" || v === "1");

export const ZConfig = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  /** Port of the web app. */
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Interface to bind. Embedded mode is loopback-only by default. */
  HOST: z.string().min(1).default("127.0.0.1"),
  /** Public URL of the web app (used in links the CLI prints). */
  PUBLIC_URL: z.string().url().optional(),
  /** Where embedded PostgreSQL and S3 keep their data. */
  DATA_DIR: z.string().min(1).default(path.resolve(process.cwd(), ".data")),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional(),
  /** Port of the embedded PostgreSQL (PGlite) server. */
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  /** Port of the embedded S3 server (s3rver). */
  EMBEDDED_S3_PORT: z.coerce.number().int().min(1).max(65535).default(54330),
  S3_ENDPOINT: z.string().url().optional(),
  /** Endpoint the *browser* uses for presigned URLs, when it differs from S3_ENDPOINT (e.g. inside a cluster). */
  S3_PUBLIC_ENDPOINT: z.string().url().optional(),
  S3_BUCKET: z.string().min(3).default("condense"),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().min(1).default("S3RVER"),
  S3_SECRET_ACCESS_KEY: z.string().min(1).default("S3RVER"),
  S3_FORCE_PATH_STYLE: ZBool.default(true),
  /** Largest accepted model upload. */
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(20 * 1024 ** 3),
  /** Multipart part size for uploads (S3 needs >= 5 MiB except the last part). */
  UPLOAD_PART_BYTES: z.coerce.number().int().min(5 * 1024 ** 2).default(16 * 1024 ** 2),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(24 * 14),
  /** Jobs a worker process runs at once. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Tune coordinators per worker (issue 10); they only wait on their trials, so they do not take job slots. */
  WORKER_TUNE_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /** How often a running job's worker proves it is alive. */
  WORKER_HEARTBEAT_SECONDS: z.coerce.number().positive().default(5),
  /** A running job whose heartbeat is older than this is taken from its worker and retried. */
  WORKER_LEASE_SECONDS: z.coerce.number().positive().default(30),
  /** Attempts before a job whose workers keep dying is failed. */
  JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // ---- Issue 7: platform API (API keys, limits, webhooks) ----
  /** Requests per minute per API key (token bucket in PostgreSQL, so shared by every web replica); 0 = no limit. */
  RATE_LIMIT_KEY_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  /** Requests per minute per workspace, all credentials together; 0 = no limit. */
  RATE_LIMIT_WORKSPACE_PER_MINUTE: z.coerce.number().int().min(0).default(1200),
  /** Bytes of models + artifacts a workspace may store; 0 = no quota. */
  QUOTA_STORAGE_BYTES: z.coerce.number().int().min(0).default(200 * 1024 ** 3),
  /** Jobs a workspace may have queued or running at once; 0 = no quota. */
  QUOTA_CONCURRENT_JOBS: z.coerce.number().int().min(0).default(20),
  /** How long an Idempotency-Key of jobs.create is remembered. */
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().default(24),
  /** Allow webhook deliveries to loopback addresses (127.0.0.0/8, ::1): local development and tests only. */
  WEBHOOKS_ALLOW_LOOPBACK: ZBool.default(false),
  /** Time a receiver has to answer one delivery, connection included. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /**
   * Delays before each retry, in seconds (comma separated); one attempt more than entries in total.
   * Each delay gets up to +20% random jitter, never less. Default (Standard Webhooks / Svix style):
   * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: 8 attempts over ~27.6 h.
   */
  WEBHOOK_RETRY_SCHEDULE_SECONDS: z
    .string()
    .regex(/^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$/, "must be comma-separated seconds, e.g. 5,300,1800")
    .transform((v) => v.split(",").map((s) => Number(s.trim())))
    .default([5, 300, 1800, 7200, 18000, 36000, 36000]),
  /** Failed attempts in a row (over all of an endpoint's messages) after which the endpoint is disabled. */
  WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).default(30),
  /** After a secret rotation, deliveries are signed with the old secret too for this long. */
  WEBHOOK_ROTATION_GRACE_HOURS: z.coerce.number().min(0).default(24),
  /** job.progress events per job at most this often. */
  WEBHOOK_PROGRESS_MIN_INTERVAL_SECONDS: z.coerce.number().positive().default(5),
  // ---- Issue 9: operations (metrics, execution provider) ----
  /** Port of the worker's metrics/health endpoint (GET /metrics, /healthz); 0 = off (several local workers share a host). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** Interface of the worker's metrics endpoint; containers set 0.0.0.0 so Prometheus and probes reach it. */
  WORKER_METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  /** Execution provider of the worker's inference sessions: auto = CUDA when this onnxruntime build has it, else CPU. */
  WORKER_EXECUTION_PROVIDER: z.enum(["auto", "cpu", "cuda"]).default("auto"),
  /** When set, GET /api/metrics requires `Authorization: Bearer <token>` (metrics reveal workload sizes). */
  METRICS_BEARER_TOKEN: z.string().min(16).optional(),
});
export type TConfig = z.infer<typeof ZConfig>;

/** Thrown when the environment is invalid; its message is one line per problem, no stack needed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses the given environment (default: process.env). Throws ConfigError with one line per bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): TConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = ZConfig.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `invalid config ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(lines.join("\n"));
  }
  return parsed.data;
}

let cached: TConfig | undefined;
/** The process-wide config, parsed on first use. */
export function getConfig(): TConfig {
  cached ??= loadConfig();
  return cached;
}
