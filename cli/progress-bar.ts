import { formatBytes, formatDurationSeconds, type TOutStream } from "./output";

/**
 * A dependency-free transfer progress bar. On a TTY it redraws one line in place (at most ~10 times a second);
 * elsewhere (CI logs, pipes) it prints an ordinary line every few seconds so logs stay short but show life.
 */
export type TProgressBar = {
  /** Reports the bytes done so far (monotonic). */
  update: (doneBytes: number) => void;
  /** Draws the final state and ends the line. Idempotent. */
  finish: () => void;
  /** Ends the line without claiming completion (on error or Ctrl-C). Idempotent. */
  stop: () => void;
};

export type TProgressBarOptions = {
  label: string;
  /** Unknown totals (e.g. a download without Content-Length) show bytes and speed only. */
  totalBytes?: number;
  stream: TOutStream;
  /** Defaults to `stream.isTTY`. */
  interactive?: boolean;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
  /** Minimum time between log lines when not interactive. */
  logIntervalMs?: number;
  /** Minimum time between redraws when interactive. */
  redrawIntervalMs?: number;
};

/** Window over which speed is averaged: long enough to be steady, short enough to follow a stall. */
const SPEED_WINDOW_MS = 5_000;

/** The state one rendered line shows. */
export type TProgressSnapshot = {
  label: string;
  doneBytes: number;
  totalBytes?: number;
  /** Undefined until enough time has passed to measure. */
  bytesPerSecond?: number;
};

/** `[=========>          ]` for a fraction 0..1 in `width` cells (brackets included). */
export function renderBar(fraction: number, width: number): string {
  const inner = Math.max(1, width - 2);
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.floor(f * inner);
  if (full >= inner) return `[${"=".repeat(inner)}]`;
  return `[${"=".repeat(full)}>${" ".repeat(inner - full - 1)}]`;
}

function describeNumbers(s: TProgressSnapshot): { percent?: string; bytes: string; speed: string; eta?: string } {
  const known = s.totalBytes !== undefined && s.totalBytes > 0;
  const fraction = known ? Math.min(1, s.doneBytes / s.totalBytes!) : undefined;
  const speed = s.bytesPerSecond !== undefined && s.bytesPerSecond > 0 ? `${formatBytes(s.bytesPerSecond)}/s` : "-- B/s";
  let eta: string | undefined;
  if (known) {
    const remaining = Math.max(0, s.totalBytes! - s.doneBytes);
    eta = remaining === 0 ? "0s" : s.bytesPerSecond ? formatDurationSeconds(remaining / s.bytesPerSecond) : "--";
  }
  return {
    percent: fraction === undefined ? undefined : `${Math.floor(fraction * 100)}%`,
    bytes: known ? `${formatBytes(s.doneBytes)} / ${formatBytes(s.totalBytes!)}` : formatBytes(s.doneBytes),
    speed,
    eta,
  };
}

/**
 * One interactive line sized to `columns`, e.g.
 * `model.onnx [=====>      ]  45%  12.1 MiB / 27.0 MiB  5.10 MiB/s  ETA 3s`.
 * The bar takes what the numbers leave (10..40 cells); it is dropped on very narrow terminals.
 */
export function renderProgressLine(s: TProgressSnapshot, columns = 80): string {
  const n = describeNumbers(s);
  const label = s.label.length > 24 ? `${s.label.slice(0, 23)}…` : s.label;
  const numbers = [n.percent?.padStart(4), n.bytes, n.speed, n.eta === undefined ? undefined : `ETA ${n.eta}`]
    .filter((x): x is string => x !== undefined)
    .join("  ");
  if (n.percent === undefined) return `${label}  ${numbers}`.slice(0, Math.max(20, columns - 1));
  const barWidth = Math.min(40, columns - 1 - label.length - numbers.length - 2);
  const line = barWidth >= 10 ? `${label} ${renderBar(s.doneBytes / s.totalBytes!, barWidth)} ${numbers}` : `${label} ${numbers}`;
  // The last column is left free: writing into it makes some terminals wrap and break the in-place redraw.
  return line.slice(0, Math.max(20, columns - 1));
}

/** One log line for non-interactive output, e.g. `upload model.onnx: 45% (12.1 MiB / 27.0 MiB), 5.10 MiB/s, ETA 3s`. */
export function renderProgressLogLine(s: TProgressSnapshot): string {
  const n = describeNumbers(s);
  const parts = [n.percent ? `${n.percent} (${n.bytes})` : n.bytes, n.speed];
  if (n.eta !== undefined) parts.push(`ETA ${n.eta}`);
  return `${s.label}: ${parts.join(", ")}`;
}

/** Creates a progress bar writing to `opts.stream` (stderr, so stdout stays clean for `--json` and pipes). */
export function createProgressBar(opts: TProgressBarOptions): TProgressBar {
  const now = opts.now ?? (() => performance.now());
  const interactive = opts.interactive ?? Boolean(opts.stream.isTTY);
  const logIntervalMs = opts.logIntervalMs ?? 5_000;
  const redrawIntervalMs = opts.redrawIntervalMs ?? 100;
  const startedAt = now();
  const samples: { t: number; bytes: number }[] = [{ t: startedAt, bytes: 0 }];
  let doneBytes = 0;
  let lastDrawAt = -Infinity;
  let lastLogAt = startedAt;
  let ended = false;
  let drewInteractive = false;

  const speed = (t: number): number | undefined => {
    while (samples.length > 2 && t - samples[1].t >= SPEED_WINDOW_MS) samples.shift();
    const first = samples[0];
    const dt = t - first.t;
    // Below a quarter second the rate is noise (first chunk lands in a burst).
    return dt >= 250 ? ((doneBytes - first.bytes) * 1000) / dt : undefined;
  };
  const snapshot = (t: number): TProgressSnapshot => ({ label: opts.label, doneBytes, totalBytes: opts.totalBytes, bytesPerSecond: speed(t) });
  const draw = (t: number) => {
    opts.stream.write(`\r${renderProgressLine(snapshot(t), opts.stream.columns ?? 80)}\x1b[K`);
    drewInteractive = true;
    lastDrawAt = t;
  };

  if (!interactive) opts.stream.write(`${opts.label}: started${opts.totalBytes !== undefined ? ` (${formatBytes(opts.totalBytes)})` : ""}\n`);

  return {
    update(bytes) {
      if (ended) return;
      const t = now();
      doneBytes = Math.max(doneBytes, bytes);
      samples.push({ t, bytes: doneBytes });
      if (interactive) {
        if (t - lastDrawAt >= redrawIntervalMs) draw(t);
      } else if (t - lastLogAt >= logIntervalMs) {
        opts.stream.write(`${renderProgressLogLine(snapshot(t))}\n`);
        lastLogAt = t;
      }
    },
    finish() {
      if (ended) return;
      ended = true;
      const t = now();
      if (opts.totalBytes !== undefined) doneBytes = Math.max(doneBytes, opts.totalBytes);
      const elapsedS = (t - startedAt) / 1000;
      // The summary uses the whole-transfer average: the windowed rate is for the live display.
      const avg = elapsedS > 0 ? `, ${formatBytes(doneBytes / elapsedS)}/s` : "";
      const summary = `${opts.label}: done, ${formatBytes(doneBytes)} in ${formatDurationSeconds(elapsedS)}${avg}`;
      opts.stream.write(interactive ? `\r${summary}\x1b[K\n` : `${summary}\n`);
    },
    stop() {
      if (ended) return;
      ended = true;
      if (interactive && drewInteractive) opts.stream.write("\n");
    },
  };
}
