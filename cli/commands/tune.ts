import { parseTuneFloor, TUNE_OBJECTIVES, type TTuneGoalInput } from "../../contracts/tune";
import { createTune, waitForTune, type TTuneView } from "../../client/tune";
import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { CliError, CliUsageError } from "../errors";
import { formatBytes, formatTable, printJson } from "../output";
import { connectToServer } from "../session";
import { createWithJobDatasets } from "./dataset-option";

/** `condense tune MODEL_ID --floor cosine>=0.99 --objective latency`: goal-driven search over compression pipelines. */
export const command = defineCommand({
  description: [
    "Searches for the best compressed model that keeps a quality floor: presets first, then mixed precision from",
    "the per-layer sensitivity table, pruning / low-rank sweeps and distillation. Trials are ordinary jobs (see",
    "`condense jobs list`) running in parallel on all workers. Prints the tune job id; with --wait follows the trials",
    "and prints the recommended trial (or the closest one and why none met the goal). Exit 1 if the job failed.",
  ].join("\n"),
  positionals: [{ name: "MODEL_ID" }],
  options: {
    floor: { type: "string", valueName: "METRIC>=VALUE", description: "Quality floor: cosine>=0.99, snrDb>=30 or accuracy>=0.9 (accuracy needs --eval with labels)" },
    objective: { type: "string", valueName: "OBJ", description: `What to minimize: ${TUNE_OBJECTIVES.join(", ")} (default latency)` },
    "max-trials": { type: "string", valueName: "N", description: "Trial budget, 1..50 (default 20)" },
    "max-seconds": { type: "string", valueName: "S", description: "Wall-time budget in seconds" },
    "max-size": { type: "string", valueName: "BYTES", description: "Hard size target" },
    "max-latency-ratio": { type: "string", valueName: "R", description: "Hard latency target as a ratio to the original (0.5 = 2x faster)" },
    calib: { type: "string", valueName: "DATASET_ID|FILE", description: "Calibration data for every trial" },
    eval: { type: "string", valueName: "DATASET_ID|FILE", description: "Evaluation data (labels enable an accuracy floor)" },
    wait: { type: "boolean", description: "Follow the search until it finishes" },
    ...JSON_OPTION,
    ...URL_OPTION,
  },
  examples: ["condense tune MODEL_ID --floor cosine>=0.99 --objective latency --max-trials 20 --wait", "condense tune MODEL_ID --floor cosine>=0.995 --objective size --max-size 2000000"],
  async run({ positionals, options, io }) {
    const goal = buildTuneGoal(options);
    const { client } = await connectToServer(io, options.url);
    const created = await createWithJobDatasets(client, io, options, (data) => createTune(client.api, { modelId: positionals[0]!, goal, ...data }));
    if (!options.wait) {
      if (options.json) printJson(io, created);
      else {
        io.stdout.write(`${created.id}\n`);
        io.stderr.write(`tune job ${created.id} queued; see its trials with: condense tune get ${created.id}\n`);
      }
      return;
    }
    io.stderr.write(`tune job ${created.id} queued\n`);
    let lastLine = "";
    const view = await waitForTune(client.api, created.id, {
      signal: io.signal,
      onUpdate: (v) => {
        const line = `${v.job.state}: ${v.trials.filter((t) => t.state === "succeeded").length} trial(s) finished, ${v.trials.filter((t) => t.state === "queued" || t.state === "running").length} in flight\n`;
        if (line !== lastLine) io.stderr.write((lastLine = line));
      },
    });
    if (options.json) printJson(io, view);
    else io.stderr.write(formatTuneView(view));
    if (view.job.state !== "succeeded") throw new CliError(`tune job ${view.job.id} ${view.job.state}${view.job.error ? `: ${view.job.error}` : ""}`);
    if (!options.json) io.stdout.write(`${view.job.id}\n`);
  },
});

/** Builds the goal from the options, with usage errors that name the option. */
export function buildTuneGoal(options: { floor?: string; objective?: string; "max-trials"?: string; "max-seconds"?: string; "max-size"?: string; "max-latency-ratio"?: string }): TTuneGoalInput {
  if (!options.floor) throw new CliUsageError("missing --floor, e.g. --floor cosine>=0.99");
  const floor = parseTuneFloor(options.floor);
  if (!floor.ok) throw new CliUsageError(floor.error);
  const objective = options.objective ?? "latency";
  if (!(TUNE_OBJECTIVES as readonly string[]).includes(objective)) throw new CliUsageError(`--objective must be one of ${TUNE_OBJECTIVES.join(", ")}, got "${objective}"`);
  const num = (name: string, value: string | undefined, integer: boolean) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new CliUsageError(`--${name} must be a positive ${integer ? "whole " : ""}number, got "${value}"`);
    return n;
  };
  const maxTrials = num("max-trials", options["max-trials"], true);
  if (maxTrials !== undefined && maxTrials > 50) throw new CliUsageError("--max-trials must be at most 50");
  const maxWallSeconds = num("max-seconds", options["max-seconds"], true);
  const maxSizeBytes = num("max-size", options["max-size"], true);
  const maxLatencyRatio = num("max-latency-ratio", options["max-latency-ratio"], false);
  return {
    floor: floor.floor,
    objective: objective as TTuneGoalInput["objective"],
    ...(maxSizeBytes !== undefined ? { maxSizeBytes } : {}),
    ...(maxLatencyRatio !== undefined ? { maxLatencyRatio } : {}),
    budget: { ...(maxTrials !== undefined ? { maxTrials } : {}), ...(maxWallSeconds !== undefined ? { maxWallSeconds } : {}) },
  };
}

/** The trials table and the recommendation, for humans. */
export function formatTuneView(view: Pick<TTuneView, "job" | "report">): string {
  const report = view.report;
  if (!report) return `tune job ${view.job.id} is ${view.job.state}; no trial yet\n`;
  const pct = (x?: number) => (x === undefined ? "-" : `${(x * 100).toFixed(1)}%`);
  const table = formatTable(report.trials, [
    { header: "TRIAL", value: (t) => t.candidateId },
    { header: "STATE", value: (t) => t.state },
    { header: report.goal.floor.metric.toUpperCase(), value: (t) => (t.floorValue === undefined ? "-" : t.floorValue.toFixed(4)), align: "right" },
    { header: "SIZE", value: (t) => (t.sizeBytes === undefined ? "-" : `${formatBytes(t.sizeBytes)} (${pct(t.sizeRatio)})`), align: "right" },
    { header: "LATENCY", value: (t) => (t.latencyRatioP50 === undefined ? "-" : `${t.latencyRatioP50.toFixed(3)}x`), align: "right" },
    { header: "", value: (t) => [t.jobId === report.recommendedJobId ? "recommended" : t.jobId === report.closestJobId ? "closest" : "", t.onParetoFront ? "front" : "", ...t.flags].filter(Boolean).join(" ") },
  ]);
  return `${table}\n${report.explanation.map((l) => `· ${l}`).join("\n")}\n`;
}
