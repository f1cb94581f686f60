/**
 * `npm run bench`: the public fixtures × every quantization preset. Each case runs in its own child process
 * (bench/bench-case.ts) so peak RSS is per case. Prints a markdown table and writes bench/results/quantization.md.
 * Filters: `--model NAME[,NAME]`, `--preset NAME[,NAME]`. Not a test: numbers depend on the machine.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PRESETS } from "../contracts/pipeline";
import { FIXTURE_MODEL_NAMES } from "../tests/fixtures/fetch-models";
import { GENERATED_BENCH_MODELS, type TBenchCaseResult } from "./bench-case";
import { readListFlag } from "./bench-args";
import { runBenchCaseInChild } from "./bench-io";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** The quantization suite this benchmark covers (other presets, e.g. pruning, have their own issue). */
const QUANTIZATION_PASSES: ReadonlySet<string> = new Set(["int8-dynamic", "int8-static", "fp16", "int4-weight"]);
/** Structure-level presets benchmarked too (issue 6): factorization, clustering and the two combined recipes. */
const STRUCTURE_PRESETS: readonly string[] = ["low-rank", "cluster", "max-compression", "max-speed"];


const fmt = (x: number | undefined, digits: number) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits));
const mb = (b: number | undefined) => (b === undefined ? "–" : (b / 1024 / 1024).toFixed(1));

/** The results as a markdown table plus notes. */
export function formatBenchTable(rows: readonly TBenchCaseResult[]): string {
  const header =
    "| model | preset | size MB | size ratio | p50 orig ms | p50 comp ms | latency ratio | cosine | SNR dB | engine ms | IO disk ms | engine/IO | IO cached ms | engine/IO cached | calib ms | peak RSS MB | above base MB | above base/model | notes |";
  const sep = `|${header.split("|").slice(1, -1).map(() => "---").join("|")}|`;
  const lines = rows.map((r) => {
    if (!r.ok) return `| ${r.model} | ${r.preset} |${" |".repeat(16)} ${(r.error ?? "failed").replace(/\|/g, "/")} |`;
    const engineOverIo = r.engineMs !== undefined && r.ioMs ? r.engineMs / r.ioMs : undefined;
    const engineOverCached = r.engineMs !== undefined && r.ioCachedMs ? r.engineMs / r.ioCachedMs : undefined;
    const aboveBase = r.peakRssBytes !== undefined && r.baselineRssBytes !== undefined ? Math.max(0, r.peakRssBytes - r.baselineRssBytes) : undefined;
    const aboveOverModel = aboveBase !== undefined && r.originalBytes ? aboveBase / r.originalBytes : undefined;
    const notes = (r.warnings ?? []).slice(0, 2).join("; ").replace(/\|/g, "/").slice(0, 160);
    return `| ${r.model} | ${r.preset} | ${mb(r.originalBytes)} | ${fmt(r.sizeRatio, 3)} | ${fmt(r.latencyOriginalP50Ms, 2)} | ${fmt(r.latencyCompressedP50Ms, 2)} | ${fmt(r.latencyRatio, 3)} | ${fmt(r.cosine, 4)} | ${fmt(r.snrDb, 1)} | ${fmt(r.engineMs, 0)} | ${fmt(r.ioMs, 1)}${r.readCached ? "*" : ""} | ${fmt(engineOverIo, 1)} | ${fmt(r.ioCachedMs, 1)} | ${fmt(engineOverCached, 1)} | ${fmt(r.calibrationMs, 0)} | ${mb(r.peakRssBytes)} | ${mb(aboveBase)} | ${fmt(aboveOverModel, 1)} | ${notes} |`;
  });
  return [header, sep, ...lines].join("\n");
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const known: string[] = [...FIXTURE_MODEL_NAMES, ...GENERATED_BENCH_MODELS.keys()];
  const models = readListFlag(argv, "model") ?? known;
  const presets = readListFlag(argv, "preset") ?? [...PRESETS.values()].filter((p) => p.pipeline.steps.every((s) => QUANTIZATION_PASSES.has(s.pass))).map((p) => p.name).concat(STRUCTURE_PRESETS);
  for (const m of models) if (!known.includes(m)) throw new Error(`unknown model ${m}; choose from ${known.join(", ")}`);
  for (const p of presets) if (!PRESETS.has(p)) throw new Error(`unknown preset ${p}; choose from ${[...PRESETS.keys()].join(", ")}`);

  // `--options JSON`: overrides merged into every step's options (to measure a candidate preset default).
  const optionsIdx = argv.indexOf("--options");
  const overrides = optionsIdx >= 0 ? argv[optionsIdx + 1] : undefined;
  if (overrides !== undefined) JSON.parse(overrides);
  const rows: TBenchCaseResult[] = [];
  for (const model of models) {
    for (const preset of presets) {
      process.stderr.write(`bench: ${model} × ${preset} ... `);
      const t0 = Date.now();
      const r = await runBenchCaseInChild(model, preset, overrides);
      process.stderr.write(`${r.ok ? "ok" : `failed: ${r.error}`} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
      rows.push(r);
    }
  }
  const cpu = os.cpus()[0]?.model?.trim() ?? "unknown CPU";
  const doc = [
    "# Quantization benchmark",
    "",
    `Measured ${new Date().toISOString()} on ${cpu} (${os.availableParallelism()} cores), Node ${process.version}.`,
    "Calibration and evaluation use generated inputs (different seeds for the two); latency is original vs compressed",
    "interleaved in the same process (40 runs after 5 warm-up). Engine time = decode + pass (without calibration",
    "inference) + encode. IO disk = reading the model file with O_DIRECT (no page cache; * = O_DIRECT refused, cached",
    "read) + writing the result with fsync; IO cached = readFile of the (cached) file + writeFile without fsync, the",
    "figure a naive measurement gives. Peak RSS is the case's child process high-water mark up to writing the model;",
    "'above base' subtracts the RSS after loading Node, the engine and onnxruntime (one tiny session run), before the",
    "model is read.",
    "",
    formatBenchTable(rows),
    "",
    "Inputs used (calibration; evaluation is the same generator with other seeds):",
    "",
    ...[...new Map(rows.filter((r) => r.inputs).map((r) => [r.model, r.inputs!])).entries()].map(([m, d]) => `- ${m}: ${d}`),
    "",
    "The 4096×4096 SVD timing is in bench/factorize-bench.ts (`npm run bench:factorize`).",
    "",
  ].join("\n");
  process.stdout.write(`${formatBenchTable(rows)}\n`);
  const outDir = path.join(ROOT, "bench", "results");
  await mkdir(outDir, { recursive: true });
  // `--out NAME.md` keeps a filtered or experimental run from overwriting the full table.
  const outIdx = argv.indexOf("--out");
  const outFile = path.join(outDir, outIdx >= 0 ? path.basename(argv[outIdx + 1] ?? "quantization.md") : "quantization.md");
  await writeFile(outFile, doc);
  process.stderr.write(`bench: wrote ${path.relative(process.cwd(), outFile)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
