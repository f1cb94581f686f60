/** Environment variables as the CLI reads them (not NodeJS.ProcessEnv: app typings make NODE_ENV required there). */
export type TEnv = Readonly<Record<string, string | undefined>>;

/** Streams and environment a command runs with; tests pass their own, `main` passes the process's. */
export type TOutStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
export type TInStream = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

export type TCliIo = {
  stdout: TOutStream;
  stderr: TOutStream;
  stdin: TInStream;
  env: TEnv;
  cwd: string;
  /** Aborted on Ctrl-C so long waits and transfers stop cleanly. */
  signal: AbortSignal;
};

/** Creates the io for the real process. */
export function createProcessIo(signal: AbortSignal): TCliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(), signal };
}

/** Writes `value` as pretty JSON plus a newline (the `--json` output of every read command). */
export function printJson(io: Pick<TCliIo, "stdout">, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v), 2)}\n`);
}

export type TColumn<R> = { header: string; value: (row: R) => string; align?: "left" | "right" };

/**
 * Renders rows as a plain-text table: header, then one line per row, columns separated by two spaces.
 * Cells are single-line (newlines become spaces) so `grep`/`awk` keep working on the output.
 */
export function formatTable<R>(rows: readonly R[], columns: readonly TColumn<R>[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row).replace(/\s*\n\s*/g, " ")));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i].align === "right" ? v.padStart(widths[i]) : i === values.length - 1 ? v : v.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join("\n") + "\n";
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** 1536 -> "1.5 KiB"; binary units because model files are measured that way by most tools. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${BYTE_UNITS[unit]}`;
}

/** 75 -> "1m15s", 3725 -> "1h02m", 4.2 -> "4s". */
export function formatDurationSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A date as local "YYYY-MM-DD HH:MM:SS", or "-" when absent. */
export function formatTimestamp(value: string | Date | null | undefined): string {
  if (value === null || value === undefined) return "-";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
