"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { isTerminalJobState } from "../../contracts/job-state";
import { getUserMessage } from "../_lib/errors";
import { useTRPC } from "../_lib/trpc";
import { ErrorAlert } from "./error-alert";

/** How often the log of an unfinished job is polled for new lines. */
const LOG_POLL_MS = 1000;
/** Lines kept in the page: the worker writes at most 2000 per attempt. */
const MAX_LINES_IN_PAGE = 5000;

type TLogLine = { id: string; attempt: number; level: "info" | "warn" | "error"; message: string; createdAt: string };

/**
 * The job's log as the worker writes it (stages, data used, per-step results, warnings, errors), following live:
 * each poll asks only for lines after the last one shown, and polling stops once the job is finished and drained.
 * Scrolls with new lines unless the reader scrolled up to read.
 */
export function JobLogsPanel({ jobId }: { jobId: string }) {
  const trpc = useTRPC();
  const [lines, setLines] = useState<TLogLine[]>([]);
  const [afterId, setAfterId] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const boxRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);

  const page = useQuery(
    trpc.jobs.logs.queryOptions(
      { jobId, afterId },
      { refetchInterval: done ? false : LOG_POLL_MS, staleTime: 0, gcTime: 0, placeholderData: undefined },
    ),
  );

  useEffect(() => {
    const data = page.data;
    if (!data) return;
    if (data.lines.length > 0) {
      setLines((prev) => {
        const seen = new Set(prev.map((l) => l.id));
        return [...prev, ...data.lines.filter((l) => !seen.has(l.id))].slice(-MAX_LINES_IN_PAGE);
      });
      setAfterId(data.nextAfterId);
    } else if (isTerminalJobState(data.jobState)) {
      // Finished and nothing new: the worker flushed its last lines before the job became terminal.
      setDone(true);
    }
  }, [page.data]);

  useEffect(() => {
    const box = boxRef.current;
    if (box && stickToBottom.current) box.scrollTop = box.scrollHeight;
  }, [lines]);

  const attempts = new Set(lines.map((l) => l.attempt));
  return (
    <section className="card" aria-labelledby="job-logs-title">
      <div className="card__header">
        <h2 id="job-logs-title">Logs</h2>
        <span className="muted small" data-testid="job-logs-status">
          {done ? `${lines.length} lines` : "following live…"}
        </span>
      </div>
      {page.error ? <ErrorAlert title="Could not load the logs" message={getUserMessage(page.error)} /> : null}
      <div
        ref={boxRef}
        className="job-logs"
        data-testid="job-logs"
        role="log"
        aria-live="polite"
        aria-label="Job log"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {lines.length === 0 ? (
          <p className="muted small">{done ? "This job wrote no log lines." : "Waiting for the worker to start…"}</p>
        ) : (
          lines.map((l) => (
            <div key={l.id} className={`job-logs__line job-logs__line--${l.level}`} data-level={l.level}>
              <time className="job-logs__time" dateTime={l.createdAt}>
                {new Date(l.createdAt).toLocaleTimeString("en-GB")}
              </time>
              {attempts.size > 1 ? <span className="job-logs__attempt">#{l.attempt}</span> : null}
              <span className="job-logs__message">{l.message}</span>
            </div>
          ))
        )}
      </div>
    </section>
  );
}
