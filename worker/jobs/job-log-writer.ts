import type { PrismaClient } from "../../generated/prisma/client";

/** Severity of a job log line, as the job page colours it. */
export type TJobLogLevel = "info" | "warn" | "error";

export type TJobLogWriter = {
  info: (message: string) => void;
  warn: (message: string) => void;
  error: (message: string) => void;
  /** Writes what is buffered now (the writer also flushes on its own every `flushMs`). */
  flush: () => Promise<void>;
  /** Flushes and stops the timer; later lines are dropped. */
  close: () => Promise<void>;
};

export type TJobLogWriterOptions = {
  /** Lines per job attempt; past it one "log truncated" line is written and the rest dropped. */
  maxLines?: number;
  /** Buffered lines are written at most this often (one INSERT per flush). */
  flushMs?: number;
  /** Longest message kept (characters). */
  maxMessageChars?: number;
  /** Where failures to write are reported: logs are best effort and never fail a job. */
  onWriteError?: (err: unknown) => void;
};

/** Default cap on lines per job attempt: enough for long pipelines, small enough that a runaway pass cannot fill the table. */
export const JOB_LOG_MAX_LINES = 2000;
const DEFAULT_FLUSH_MS = 500;
const DEFAULT_MAX_MESSAGE_CHARS = 2000;

/**
 * Removes secrets a message might carry before it is stored and shown: presigned URL signatures (query strings),
 * API keys, webhook secrets, bearer tokens and passwords in connection strings.
 */
export function redactLogMessage(message: string): string {
  return message
    .replace(/(https?:\/\/[^\s?"']+)\?[^\s"']*/g, "$1?…")
    .replace(/\b(cnd_(?:live|test)_)[A-Za-z0-9_-]+/g, "$1…")
    .replace(/\bwhsec_[A-Za-z0-9+/=_-]+/g, "whsec_…")
    .replace(/\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, "$1…")
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:\s/@]+:)[^@\s]+@/gi, "$1…@");
}

/**
 * Appends a job attempt's log lines to JobLog in batches: the pipeline calls info/warn/error synchronously, the
 * writer buffers and INSERTs every `flushMs`. Bounded per attempt (`maxLines`), secrets redacted, and a database
 * hiccup only loses log lines, never the job.
 */
export function createJobLogWriter(
  prisma: Pick<PrismaClient, "jobLog">,
  target: { jobId: string; attempt: number },
  opts: TJobLogWriterOptions = {},
): TJobLogWriter {
  const maxLines = opts.maxLines ?? JOB_LOG_MAX_LINES;
  const maxChars = opts.maxMessageChars ?? DEFAULT_MAX_MESSAGE_CHARS;
  let buffer: Array<{ level: TJobLogLevel; message: string; createdAt: Date }> = [];
  let accepted = 0;
  let closed = false;
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    // Chained so batches land in order even when a flush is requested while one is in flight.
    writing = writing.then(async () => {
      if (buffer.length === 0) return;
      const batch = buffer;
      buffer = [];
      try {
        await prisma.jobLog.createMany({ data: batch.map((l) => ({ jobId: target.jobId, attempt: target.attempt, ...l })) });
      } catch (err) {
        opts.onWriteError?.(err);
      }
    });
    return writing;
  };
  const timer = setInterval(() => void flush(), opts.flushMs ?? DEFAULT_FLUSH_MS);
  timer.unref?.();

  const append = (level: TJobLogLevel, message: string) => {
    if (closed || accepted > maxLines) return;
    accepted++;
    if (accepted > maxLines) {
      buffer.push({ level: "warn", message: `log truncated: only the first ${maxLines} lines of this attempt are kept`, createdAt: new Date() });
      return;
    }
    const clean = redactLogMessage(message);
    buffer.push({ level, message: clean.length > maxChars ? `${clean.slice(0, maxChars)}…` : clean, createdAt: new Date() });
  };

  return {
    info: (m) => append("info", m),
    warn: (m) => append("warn", m),
    error: (m) => append("error", m),
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
      closed = true;
    },
  };
}
