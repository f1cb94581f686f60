import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PRESETS, parsePipelineText, type TPipelineSpec } from "../../contracts/pipeline";
import type { TReport } from "../../contracts/report";
import { openDataSource, type TDataSource } from "../../worker/data/data-source";
import { decodeModel } from "../../worker/onnx/model-io";
import { summarizeModel } from "../../worker/onnx/tensor-info";
import { runCompression } from "../../worker/evaluate/run-compression";
import { formatOptions, parseArgs, type TOptionsSpec } from "../args";
import { CliError } from "../errors";
import { formatBytes } from "../output";
import { renderBar } from "../progress-bar";
import { resolvePipelineOption } from "../pipeline-option";

/**
 * `condense run MODEL.onnx --preset NAME -o OUT.onnx`: compresses a model locally with the same engine the workers
 * use, without any server, and writes the compressed model plus report.json. Errors are one line, exit 1.
 */

const OPTIONS = {
  preset: { type: "string", valueName: "NAME", description: "Pipeline preset (listed below)" },
  pipeline: {
    type: "string",
    valueName: "SPEC",
    description: "Pipeline instead of a preset: inline JSON, @file.json, or text like \"prune-channels(ratio=0.3) > int8-static\"",
  },
  calib: { type: "string", valueName: "PATH", description: "Calibration data: .npy, .npz, .pb, a folder of them or model-zoo test_data_set_N folders" },
  eval: { type: "string", valueName: "PATH", description: "Evaluation data (same formats; labels.npy / a 'labels' array enables accuracy)" },
  student: { type: "string", valueName: "STUDENT.onnx", description: "For distill steps: train this model (same inputs/outputs) instead of the previous steps' output" },
  output: { type: "string", short: "o", valueName: "OUT.onnx", description: "Where to write the compressed model" },
  report: { type: "string", valueName: "FILE", description: "Where to write report.json (default: OUT.report.json)" },
  dim: { type: "string", valueName: "NAME=N[,NAME=N]", description: "Sizes of symbolic input dims for generated inputs (default: batch 1, image H/W 64)" },
  "batch-size": { type: "string", valueName: "N", description: "Samples per batch for dynamic-batch models (default 8)" },
  "sensitivity-layers": { type: "string", valueName: "N", description: "Layers in the per-layer sensitivity table (default 16, 0 = skip)" },
  quiet: { type: "boolean", short: "q", description: "No progress bar or summary" },
  help: { type: "boolean", short: "h", description: "Show this help" },
} as const satisfies TOptionsSpec;

/** Help text: usage, options and every preset with its description. */
export function formatRunHelp(): string {
  const presets = [...PRESETS.values()];
  const width = Math.max(...presets.map((p) => p.name.length));
  return [
    "usage: condense run MODEL.onnx (--preset NAME | --pipeline JSON|@file) -o OUT.onnx [--calib PATH] [--eval PATH] [--report report.json]",
    "",
    "Compresses a model locally (no server) and writes the compressed model and a report comparing it with the original:",
    "size, latency (interleaved, same process), fidelity per output, accuracy with labels, per-layer sensitivity.",
    "Without --calib/--eval, inputs are generated from the model's signature and the report says so.",
    "",
    "Options:",
    ...formatOptions(OPTIONS),
    "",
    "Presets:",
    ...presets.map((p) => `  ${p.name.padEnd(width)}  ${p.description}`),
    "",
    "Examples:",
    "  condense run model.onnx --preset int8-static --calib calib/ -o model.int8.onnx",
    "  condense run model.onnx --pipeline '{\"steps\":[{\"pass\":\"int4-weight\",\"options\":{\"blockSize\":64}}]}' -o model.int4.onnx",
    "  condense run model.onnx --pipeline \"prune-channels(ratio=0.3) > int8-static(calibration=entropy)\" --calib calib/ -o model.fast.onnx",
    "",
  ].join("\n");
}

/**
 * `--pipeline` in the compact text form (`prune-channels(ratio=0.3) > int8-static`) becomes JSON here, so the
 * shared option resolver validates one canonical form; JSON and @file values pass through unchanged.
 */
function toPipelineJson(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  if (t === "" || t.startsWith("{") || t.startsWith("[") || t.startsWith("@")) return value;
  const parsed = parsePipelineText(t);
  if (!parsed.ok) throw new CliError(`--pipeline: ${parsed.error}`);
  return JSON.stringify(parsed.pipeline);
}

/** Parses `--dim height=48,width=192`. */
function parseDimSizes(value: string | undefined): Record<string, number> | undefined {
  if (value === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const part of value.split(",")) {
    const eq = part.lastIndexOf("=");
    const name = part.slice(0, eq).trim();
    const n = Number(part.slice(eq + 1));
    if (eq <= 0 || !name || !Number.isInteger(n) || n < 1) throw new CliError(`--dim expects NAME=SIZE[,NAME=SIZE], got "${part}"`);
    out[name] = n;
  }
  return out;
}

function parsePositiveInt(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

/** A stage progress line: a bar on a TTY (redrawn in place), stage changes as plain lines elsewhere. */
function createStageProgress(stream: NodeJS.WriteStream, enabled: boolean) {
  const interactive = enabled && stream.isTTY === true;
  let lastStage = "";
  let lastDraw = 0;
  return {
    update: (stage: string, fraction: number) => {
      if (!enabled) return;
      if (interactive) {
        const now = Date.now();
        if (now - lastDraw < 100 && stage === lastStage) return;
        lastDraw = now;
        lastStage = stage;
        const pct = `${Math.round(fraction * 100)}`.padStart(3);
        const width = Math.max(20, Math.min(40, (stream.columns ?? 80) - 60));
        const line = `${renderBar(fraction, width)} ${pct}% ${stage}`;
        stream.write(`\r${line.slice(0, (stream.columns ?? 120) - 1).padEnd(Math.min(119, (stream.columns ?? 120) - 1))}`);
      } else if (stage !== lastStage) {
        lastStage = stage;
        stream.write(`[${Math.round(fraction * 100)}%] ${stage}\n`);
      }
    },
    end: () => {
      if (interactive && lastStage) stream.write("\n");
    },
  };
}

function formatSummary(report: TReport, written: string): string {
  const lines = [`wrote ${written}`];
  const o = report.original;
  const c = report.compressed;
  if (c) {
    lines.push(`size     ${formatBytes(o.sizeBytes)} -> ${formatBytes(c.sizeBytes)} (x${(c.sizeBytes / Math.max(1, o.sizeBytes)).toFixed(3)})`);
  }
  if (o.latencyMs && c?.latencyMs) {
    lines.push(`latency  p50 ${o.latencyMs.p50.toFixed(2)} ms -> ${c.latencyMs.p50.toFixed(2)} ms (x${(c.latencyMs.p50 / o.latencyMs.p50).toFixed(3)})`);
  }
  if (report.fidelity) lines.push(`fidelity cosine ${report.fidelity.cosine.toFixed(5)}, SNR ${report.fidelity.snrDb.toFixed(1)} dB (worst output)`);
  if (report.accuracy) {
    lines.push(`accuracy top-1 ${(report.accuracy.original.top1 * 100).toFixed(2)}% -> ${(report.accuracy.compressed.top1 * 100).toFixed(2)}% on ${report.accuracy.samples} samples`);
  }
  const transforming = (report.steps ?? []).filter((s) => s.transformed);
  if (transforming.length > 1) {
    lines.push("steps    (after each step, vs the original)");
    for (const s of transforming) {
      const size = s.sizeRatio !== undefined ? `size x${s.sizeRatio.toFixed(3)}` : "";
      const lat = s.latencyRatioP50 !== undefined ? `, latency x${s.latencyRatioP50.toFixed(3)}` : "";
      const cos = s.cosine !== undefined ? `, cosine ${s.cosine.toFixed(5)}` : "";
      lines.push(`  ${String(s.index + 1).padStart(2)}. ${s.pass.padEnd(16)} ${size}${lat}${cos} (${s.wallMs} ms)`);
    }
  }
  const worst = report.sensitivity?.slice(0, 3) ?? [];
  if (worst.length > 0) lines.push(`most sensitive layers: ${worst.map((s) => `${s.node} (${s.snrDb.toFixed(1)} dB)`).join(", ")}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return `${lines.join("\n")}\n`;
}

async function openData(dataPath: string | undefined, cwd: string, model: ReturnType<typeof summarizeModel>, batchSize?: number): Promise<TDataSource | undefined> {
  if (dataPath === undefined) return undefined;
  return openDataSource(path.resolve(cwd, dataPath), { modelInputs: model.inputs, modelOutputs: model.outputs, batchSize });
}

/**
 * Entry point for `condense run` (delegated by cli/main.ts). Returns the exit code; throws CliError/AppError for
 * failures, which the dispatcher prints as one `condense: <reason>` line (exit 1).
 */
export async function runCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(args, { options: OPTIONS, positionals: [{ name: "MODEL.onnx", optional: true }] });
  } catch (err) {
    // Usage mistakes exit 1 like every other failure of this command, with a pointer to the help.
    throw new CliError(`${(err as Error).message} (see condense run --help)`);
  }
  const opts = parsed.options;
  if (opts.help) {
    process.stdout.write(formatRunHelp());
    return 0;
  }
  const cwd = process.cwd();
  const modelArg = parsed.positionals[0];
  if (!modelArg) throw new CliError("give the model to compress: condense run MODEL.onnx --preset NAME -o OUT.onnx");
  const choice = await resolvePipelineOption({ pipeline: toPipelineJson(opts.pipeline), preset: opts.preset, cwd }).catch((err: Error) => {
    throw new CliError(err.message);
  });
  const pipeline: TPipelineSpec = choice.kind === "preset" ? PRESETS.get(choice.preset)!.pipeline : choice.pipeline;
  // A pipeline that only measures produces no model: then only the report is written.
  const measuresOnly = pipeline.steps.every((s) => s.pass === "analyze");
  if (!opts.output && !measuresOnly) throw new CliError("give the output file with -o OUT.onnx");
  const batchSize = parsePositiveInt(opts["batch-size"], "batch-size", 1);
  const sensitivityMaxLayers = parsePositiveInt(opts["sensitivity-layers"], "sensitivity-layers", 0);
  const generatedDimSizes = parseDimSizes(opts.dim);

  const modelPath = path.resolve(cwd, modelArg);
  let modelBytes: Uint8Array;
  try {
    modelBytes = new Uint8Array(await readFile(modelPath));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${modelArg}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  const signature = summarizeModel(decodeModel(modelBytes));
  const calibration = await openData(opts.calib, cwd, signature, batchSize);
  const evaluation = await openData(opts.eval, cwd, signature, batchSize);
  const studentModel = opts.student ? await readStudentModel(opts.student, cwd) : undefined;

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  const bar = createStageProgress(process.stderr, !opts.quiet);
  let result;
  try {
    result = await runCompression({
      modelBytes,
      modelName: path.basename(modelPath),
      pipeline,
      calibration,
      evaluation,
      ...(studentModel ? { studentModel } : {}),
      sensitivityMaxLayers,
      generatedDimSizes,
      signal: controller.signal,
      reportProgress: (p) => bar.update(p.stage, p.progress),
    });
  } finally {
    bar.end();
    process.off("SIGINT", onSigint);
  }

  const outPath = opts.output ? path.resolve(cwd, opts.output) : undefined;
  const reportPath = path.resolve(cwd, opts.report ?? (outPath ? `${outPath.replace(/\.onnx$/i, "")}.report.json` : "report.json"));
  await mkdir(path.dirname(reportPath), { recursive: true });
  await writeFile(reportPath, `${JSON.stringify(result.report, null, 2)}\n`);
  const shown = (p: string) => (path.relative(cwd, p).startsWith("..") ? p : path.relative(cwd, p) || p);
  if (result.compressedBytes && outPath) {
    await mkdir(path.dirname(outPath), { recursive: true });
    await writeFile(outPath, result.compressedBytes);
  }
  if (!opts.quiet) {
    const written = result.compressedBytes && outPath ? `${shown(outPath)} and ${shown(reportPath)}` : shown(reportPath);
    process.stdout.write(formatSummary(result.report, written));
  }
  return 0;
}

/** The --student file; a path that cannot be read is a CLI error, not a stack trace. */
async function readStudentModel(file: string, cwd: string): Promise<{ bytes: Uint8Array; name: string }> {
  const studentPath = path.resolve(cwd, file);
  try {
    return { bytes: new Uint8Array(await readFile(studentPath)), name: path.basename(studentPath) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read the student model ${file}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
}
