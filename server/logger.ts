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

/** Creates a logger for one component ("web", "worker", ...). */
export function createLogger(component: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ name: component, level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } });
}
