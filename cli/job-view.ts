import type { TCondenseClient, TJob } from "../client";
import { CliError } from "./errors";
import { formatBytes, formatDurationSeconds, formatTable, formatTimestamp, type TCliIo, type TColumn } from "./output";
import { renderBar } from "./progress-bar";

/** "running (analyze, 40%)", "succeeded", "failed". */
export function describeJobState(job: Pick<TJob, "state" | "stage" | "progress">): string {
  if (job.state !== "running") return job.state;
  const parts = [job.stage, `${Math.floor(job.progress * 100)}%`].filter(Boolean);
  return `running (${parts.join(", ")})`;
}

/** What the job runs: "preset analyze" or the pass names of a custom pipeline. */
export function describeJobPipeline(job: Pick<TJob, "preset" | "pipeline">): string {
  if (job.preset) return `preset ${job.preset}`;
  const steps = (job.pipeline as { steps?: { pass?: string }[] } | null)?.steps;
  return Array.isArray(steps) ? `pipeline ${steps.map((s) => s.pass ?? "?").join(" → ")}` : "pipeline";
}

function elapsedSeconds(job: Pick<TJob, "createdAt" | "startedAt" | "finishedAt">, nowMs = Date.now()): number {
  const start = Date.parse(job.startedAt ?? job.createdAt);
  const end = job.finishedAt ? Date.parse(job.finishedAt) : nowMs;
  return Math.max(0, (end - start) / 1000);
}

/** Columns of `jobs list`. */
export const JOB_COLUMNS: readonly TColumn<TJob>[] = [
  { header: "ID", value: (j) => j.id },
  { header: "STATE", value: (j) => describeJobState(j) },
  { header: "PIPELINE", value: (j) => describeJobPipeline(j) },
  { header: "MODEL", value: (j) => j.modelId },
  { header: "CREATED", value: (j) => formatTimestamp(j.createdAt) },
];

/** The text of `jobs get`: one fact per line, then the artifacts table. */
export function formatJobDetails(job: TJob): string {
  const rows: [string, string][] = [
    ["job", job.id],
    ["state", describeJobState(job)],
    ["model", job.modelId],
    ["runs", describeJobPipeline(job)],
    ["attempts", String(job.attempts)],
    ["created", formatTimestamp(job.createdAt)],
    ["started", formatTimestamp(job.startedAt)],
    ["finished", formatTimestamp(job.finishedAt)],
  ];
  if (job.startedAt) rows.push(["duration", formatDurationSeconds(elapsedSeconds(job))]);
  if (job.cancelRequestedAt) rows.push(["cancel requested", formatTimestamp(job.cancelRequestedAt)]);
  if (job.error) rows.push(["error", job.error]);
  const width = Math.max(...rows.map(([k]) => k.length));
  let text = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n") + "\n";
  if (job.artifacts.length > 0) {
    text += "\nartifacts:\n";
    text += formatTable(job.artifacts, [
      { header: "NAME", value: (a) => a.name },
      { header: "SIZE", value: (a) => formatBytes(a.sizeBytes), align: "right" },
      { header: "SHA256", value: (a) => a.sha256 },
    ])
      .split("\n")
      .map((l) => (l ? `  ${l}` : l))
      .join("\n");
  }
  return text;
}

/** One live line while following a job on a terminal. */
export function renderJobLine(job: TJob, columns = 80, nowMs = Date.now()): string {
  // Long stage names ("analyze: loading the model in onnxruntime") are shortened so the bar keeps its place.
  const stage = job.stage && job.stage.length > 28 ? `${job.stage.slice(0, 27).trimEnd()}…` : job.stage;
  const head = `job ${job.id}  ${job.state}${stage ? `  ${stage}` : ""}`;
  const tail = `${String(Math.floor(job.progress * 100)).padStart(3)}%  ${formatDurationSeconds(elapsedSeconds(job, nowMs))}`;
  const barWidth = Math.min(30, columns - 1 - head.length - tail.length - 2);
  const line = job.state === "running" && barWidth >= 10 ? `${head} ${renderBar(job.progress, barWidth)} ${tail}` : `${head}  ${tail}`;
  return line.slice(0, Math.max(20, columns - 1));
}

/**
 * Follows a job until it is terminal: a live line on a TTY, a log line per state/stage change otherwise (and at
 * most one progress line per 10 s). Returns the final job; throws a one-line CliError when it failed or was
 * canceled (exit 1), or when the user stops waiting with Ctrl-C (exit 130; the job keeps running).
 */
export async function followJob(client: TCondenseClient, jobId: string, io: TCliIo, opts: { pollMs?: number } = {}): Promise<TJob> {
  const interactive = Boolean(io.stderr.isTTY);
  let lastKey = "";
  let lastLogAt = 0;
  let drew = false;
  let job: TJob;
  try {
    job = await client.waitForJob(jobId, {
      signal: io.signal,
      pollMs: opts.pollMs,
      onProgress: (j) => {
        if (interactive) {
          io.stderr.write(`\r${renderJobLine(j, io.stderr.columns ?? 80)}\x1b[K`);
          drew = true;
          return;
        }
        const key = `${j.state}/${j.stage ?? ""}`;
        const now = Date.now();
        if (key !== lastKey || (j.state === "running" && now - lastLogAt >= 10_000)) {
          io.stderr.write(`job ${j.id}: ${describeJobState(j)}\n`);
          lastKey = key;
          lastLogAt = now;
        }
      },
    });
  } catch (err) {
    if (drew) io.stderr.write("\n");
    if (io.signal.aborted) {
      throw new CliError(`stopped waiting; job ${jobId} keeps running (\`condense jobs cancel ${jobId}\` stops it)`, { exitCode: 130 });
    }
    throw err;
  }
  if (drew) io.stderr.write("\n");
  return job;
}

/** The error for a job that ended without succeeding, or undefined when it succeeded. */
export function describeUnsuccessfulJob(job: TJob): CliError | undefined {
  if (job.state === "failed") return new CliError(`job ${job.id} failed: ${job.error ?? "no reason given"}`);
  if (job.state === "canceled") return new CliError(`job ${job.id} was canceled`);
  return undefined;
}

/** The closing lines after a job succeeded: its artifacts and the command that downloads them. */
export function formatJobSucceeded(job: TJob): string {
  const artifacts = job.artifacts.map((a) => `${a.name} (${formatBytes(a.sizeBytes)})`).join(", ") || "none";
  const first = job.artifacts.find((a) => a.name.endsWith(".onnx")) ?? job.artifacts[0];
  const hint = first ? `\ndownload: condense download ${job.id} --name ${first.name} -o ${first.name}` : "";
  return `job ${job.id} succeeded in ${formatDurationSeconds(elapsedSeconds(job))}; artifacts: ${artifacts}${hint}\n`;
}
