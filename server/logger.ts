import pino, { type Logger } from "pino";

export type { Logger } from "pino";

/**
 * Structured JSON logs. Secrets never reach a log line: these paths are censored wherever they appear,
 * and presigned URLs are logged without their query string by the callers.
 */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "passwordHash",
  "*.passwordHash",
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  "cookie",
  "*.cookie",
  "url",
  "*.url",
  "secret",
  "*.secret",
];

const PRESIGNED_URL = /^(https?:\/\/[^?\s]+)\?\S*(X-Amz-|Signature=)/i;

/** Strips the query string (signature, credential) from presigned URLs wherever they sit in a log object. */
function stripPresignedQueries(value: unknown, depth = 0): unknown {
  if (typeof value === "string") {
    const match = PRESIGNED_URL.exec(value);
    return match ? `${match[1]}?[redacted]` : value;
  }
  if (depth >= 4 || value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Error) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripPresignedQueries(v, depth + 1)]));
}

/** The options every Condense logger uses (exported so tests check the real configuration). */
export function createLoggerOptions(component: string, level = process.env.LOG_LEVEL ?? "info"): pino.LoggerOptions {
  return {
    name: component,
    level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    formatters: { log: (object) => stripPresignedQueries(object) as Record<string, unknown> },
  };
}

/** Creates a logger for one component ("web", "worker", ...). */
export function createLogger(component: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino(createLoggerOptions(component, level));
}
