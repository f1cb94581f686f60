/**
 * Display formatting shared by portal pages. Pure functions, no React.
 */

const BYTE_UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

/** Formats a byte count with decimal units (1 MB = 1,000,000 B), the way file managers and S3 consoles do. */
export function formatBytes(sizeBytes: number | bigint | null | undefined): string {
  if (sizeBytes === null || sizeBytes === undefined) return "—";
  let value = Number(sizeBytes);
  if (!Number.isFinite(value) || value < 0) return "—";
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** Formats a transfer rate in MB/s. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "— MB/s";
  const mbPerSecond = bytesPerSecond / 1_000_000;
  return `${mbPerSecond >= 100 ? mbPerSecond.toFixed(0) : mbPerSecond.toFixed(1)} MB/s`;
}

/** Formats a duration given in seconds as "1 h 02 min", "3 min 05 s" or "12 s". */
export function formatDurationSeconds(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return "—";
  const s = Math.round(totalSeconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Formats the time between two instants, or from `start` until now when the job is still running. */
export function formatElapsed(start: Date | string | null | undefined, end?: Date | string | null): string {
  if (!start) return "—";
  const startMs = new Date(start).getTime();
  const endMs = end ? new Date(end).getTime() : Date.now();
  return formatDurationSeconds((endMs - startMs) / 1000);
}

const DATE_TIME = new Intl.DateTimeFormat("en-GB", {
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** Formats a timestamp for tables and fact lists; absent values become an em dash. */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "—" : DATE_TIME.format(date);
}

/** Formats a 0..1 fraction as a whole percentage. */
export function formatPercent(fraction: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return `${Math.round(clamped * 100)}%`;
}

/** Formats milliseconds with precision that suits the magnitude (0.042 ms, 3.21 ms, 154 ms). */
export function formatMs(latencyMs: number | null | undefined): string {
  if (latencyMs === null || latencyMs === undefined || !Number.isFinite(latencyMs)) return "—";
  if (latencyMs < 1) return `${latencyMs.toFixed(3)} ms`;
  if (latencyMs < 100) return `${latencyMs.toFixed(2)} ms`;
  return `${latencyMs.toFixed(0)} ms`;
}

/** Formats an integer with thousands separators. */
export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return new Intl.NumberFormat("en-US").format(value);
}

/** Renders a tensor shape: symbolic dims by name, unknown ones as "?". */
export function formatShape(shape: ReadonlyArray<number | string | null> | null | undefined): string {
  if (!shape) return "unknown rank";
  if (shape.length === 0) return "scalar";
  return `[${shape.map((d) => (d === null ? "?" : String(d))).join(", ")}]`;
}
