/** A stage name and overall progress 0..1, as stored on the Job row. */
export type TJobProgress = { stage: string; progress: number };

export type TProgressReporter = {
  /** Records the latest progress; it is written at most once per interval, latest value wins. */
  report: (p: TJobProgress) => void;
  /** Writes a pending value now (if any) and stops the timer. Resolves once no write is in flight. */
  flush: () => Promise<void>;
  /** Drops pending values and stops writing (after the job ended). */
  close: () => void;
};

/**
 * Throttles progress writes: a pipeline may report hundreds of times per second, the database gets at most
 * one write per `minIntervalMs`, and writes never overlap. `write` resolves false when the row was no longer
 * ours (canceled, lease lost): then `onLost` runs once and nothing more is written.
 */
export function createProgressReporter(opts: {
  minIntervalMs: number;
  write: (p: TJobProgress) => Promise<boolean>;
  onLost: () => void;
  onError?: (err: unknown) => void;
  now?: () => number;
}): TProgressReporter {
  const now = opts.now ?? Date.now;
  let pending: TJobProgress | undefined;
  let lastWriteAt = -Infinity;
  let inFlight: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const writeNow = async (): Promise<void> => {
    if (closed || !pending) return;
    const value = pending;
    pending = undefined;
    lastWriteAt = now();
    try {
      const stillOurs = await opts.write(value);
      if (!stillOurs && !closed) {
        closed = true;
        opts.onLost();
      }
    } catch (err) {
      // A failed progress write is not worth failing a job over; the heartbeat decides about the lease.
      opts.onError?.(err);
    }
  };

  const schedule = (): void => {
    if (closed || timer || inFlight || !pending) return;
    const waitMs = Math.max(0, lastWriteAt + opts.minIntervalMs - now());
    timer = setTimeout(() => {
      timer = undefined;
      inFlight = writeNow().finally(() => {
        inFlight = undefined;
        schedule();
      });
    }, waitMs);
    timer.unref?.();
  };

  return {
    report(p) {
      if (closed) return;
      pending = { stage: p.stage, progress: Math.min(1, Math.max(0, Number.isFinite(p.progress) ? p.progress : 0)) };
      schedule();
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (inFlight) await inFlight;
      // The in-flight write's completion may have scheduled the next one: write it here instead.
      if (timer) clearTimeout(timer);
      timer = undefined;
      await writeNow();
    },
    close() {
      closed = true;
      pending = undefined;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
