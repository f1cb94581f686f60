/**
 * Engine cost bench (issue #3 targets): engine time (without calibration inference) vs the time to read and write
 * the model file, and peak memory vs the model's size, per model × quantization preset, with a per-phase split.
 *
 *   npx tsx bench/engine-bench.ts [--model ppocr_det,transformer_encoder,transformer_large] [--preset int8-dynamic,...]
 *
 * Each case runs in its own child process (peak RSS belongs to that case). The child mirrors what the pipeline
 * runner does between reading the upload and writing the result (worker/pipeline/run-pipeline.ts with evaluation
 * off, as the worker calls it): decode → analyze of the original (the worker passes the SHA-256 recorded at upload,
 * so the upload is not hashed again) → the pass handler → encode → sha256 + analyze of the result,
 * timing each phase. It runs the case twice in one process: "cold" is what a fresh worker process pays (module
 * JIT warm-up included), "warm" the second run.
 * - Calibration inference (int8-static's calibration and its fidelity-check sessions) is timed apart and excluded
 *   from engine time, like bench/bench-case.ts. On the warm run int8-static reuses the cold run's ranges and its
 *   kept-float layers, so it runs no inference at all: its peak is the "engine only" memory.
 * - Peak RSS: Linux VmHWM, reset between runs through /proc/self/clear_refs, minus the RSS once Node, the engine
 *   and onnxruntime are loaded (one tiny session run), before the model file is read.
 * - IO: reading the model file with O_DIRECT (no page cache) + writing the result with fsync, after the runs.
 * `transformer_large` (12 blocks, dim 768, ≈ 85 M parameters, ≈ 340 MB) and `transformer_encoder` (28 MB) are
 * generated into a temp folder and never committed. Writes bench/results/engine.md.
 * BENCH_CPU_PROF=DIR writes a V8 CPU profile of every case's child process into DIR (where the engine time goes).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { findPreset } from "../contracts/pipeline";
import { createGeneratedDataSource } from "../worker/data/generated-source";
import { decodeModel, encodeModel, encodeModelParts } from "../worker/onnx/model-io";
import type { TModelProto } from "../worker/onnx/onnx-proto";
import { analyzeModel } from "../worker/passes/analyze/analyze-model";
import { buildTransformerEncoder } from "../worker/passes/quantize/testing/build-models";
import { PASS_HANDLERS } from "../worker/pipeline/pass-registry";
import { getFixtureModel, type TFixtureModelName } from "../tests/fixtures/fetch-models";
import { readListFlag } from "./bench-args";
import { loadRuntime, readFileDirect, writeFileSynced } from "./bench-io";

type TPhaseMs = { decode: number; runnerIn: number; pass: number; inference: number; encode: number; runnerOut: number };

type TRunResult = {
  phases: TPhaseMs;
  engineMs: number;
  /** CPU time of the engine phases (all threads of the process; no inference runs in them), robust to machine load. */
  engineCpuMs: number;
  peakAboveBaseBytes: number;
  outBytes: number;
  inferenceRan: boolean;
};

export type TEngineCaseResult = {
  model: string;
  preset: string;
  ok: boolean;
  error?: string;
  modelBytes?: number;
  baselineRssBytes?: number;
  cold?: TRunResult;
  warm?: TRunResult;
  readDiskMs?: number;
  writeSyncMs?: number;
  readCached?: boolean;
};

/** Generated models: built in the parent, written to a temp file, read by the child like any upload. */
const GENERATED: ReadonlyMap<string, { build: () => TModelProto; dimSizes: Record<string, number> }> = new Map([
  ["transformer_encoder", { build: () => buildTransformerEncoder({ dim: 384, heads: 6, blocks: 4, seed: 11 }), dimSizes: { batch: 1, seq: 128 } }],
  ["transformer_large", { build: () => buildTransformerEncoder({ dim: 768, heads: 12, blocks: 12, seed: 12 }), dimSizes: { batch: 1, seq: 128 } }],
]);

/** Symbolic dim sizes of the fixtures, as in bench/bench-case.ts. */
const FIXTURE_DIM_SIZES: Readonly<Record<string, Record<string, number>>> = {
  ppocr_cls: { "p2o.DynamicDimension.1": 48, "p2o.DynamicDimension.2": 192 },
  ppocr_det: { "p2o.DynamicDimension.1": 320, "p2o.DynamicDimension.2": 320 },
  ppocr_rec: { "p2o.DynamicDimension.1": 320 },
};

const CALIBRATION_BATCHES = 8;
const MB = 1024 * 1024;

function readStatusKb(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) : 0;
}

/** Resets the kernel's peak-RSS mark (VmHWM) to the current RSS, so the next phase's peak is its own. */
function resetPeakRss(): void {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // Not Linux or not allowed: the peak then covers everything since the process started (an upper bound).
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

type TReuse = { ranges?: unknown; nodesToExclude?: string[] };

/** One pass over the model as the runner does it; returns timings and the encoded result. */
async function runOnce(
  modelName: string,
  presetName: string,
  file: string,
  reuse: TReuse,
): Promise<{ result: TRunResult; out: Uint8Array; reuse: TReuse }> {
  const preset = findPreset(presetName);
  if (!preset || preset.pipeline.steps.length !== 1) throw new Error(`preset ${presetName} is not a one-step preset`);
  const step = preset.pipeline.steps[0];
  const handler = PASS_HANDLERS.get(step.pass)!;
  const baseline = process.memoryUsage().rss;
  resetPeakRss();
  const bytes = new Uint8Array(await readFile(file));
  const phases: TPhaseMs = { decode: 0, runnerIn: 0, pass: 0, inference: 0, encode: 0, runnerOut: 0 };
  let t = performance.now();
  let cpu = process.cpuUsage();
  let engineCpuUs = 0;
  const lap = (k: keyof TPhaseMs) => {
    const now = performance.now();
    phases[k] += now - t;
    t = now;
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    // The pass phase of int8-static's full run contains inference: its CPU time is not the engine's.
    if (!(k === "pass" && inferenceRan)) engineCpuUs += used.user + used.system;
  };
  const original = decodeModel(bytes);
  lap("decode");
  // No sha256 of the upload: the worker hands runPipeline the hash recorded when the upload was validated.
  analyzeModel(original);
  lap("runnerIn");
  const dimSizes = FIXTURE_DIM_SIZES[modelName] ?? GENERATED.get(modelName)?.dimSizes;
  const calibration = createGeneratedDataSource(original, { seedOffset: 0, batchCount: CALIBRATION_BATCHES, dimSizes });
  let out: { model?: TModelProto; calibrationMs?: number; stats?: Record<string, unknown> };
  let nextReuse: TReuse = {};
  let inferenceRan = false;
  let quantizedNodes: string[] | undefined;
  if (step.pass === "int8-static" && reuse.ranges) {
    // Warm run: the cold run's ranges and kept-float layers give the same model without any inference.
    const { runInt8Static } = await import("../worker/passes/quantize");
    const opts: Record<string, unknown> = { ...(step.options as Record<string, unknown>), fidelityTarget: 0, sensitiveNodesToKeepFloat: 0 };
    const nodesToExclude = [...((opts.nodesToExclude as string[] | undefined) ?? []), ...(reuse.nodesToExclude ?? [])];
    const r = await runInt8Static(original, { ...opts, nodesToExclude, ranges: reuse.ranges as Map<string, never> });
    out = { model: r.model };
  } else if (step.pass === "int8-static") {
    // Cold run: the handler's own steps, with the ranges kept for the warm run.
    const { calibrateInt8Static, runInt8Static } = await import("../worker/passes/quantize");
    const t0 = performance.now();
    const cal = await calibrateInt8Static(original, { ...(step.options as Record<string, unknown>), calibration });
    const calibrationMs = performance.now() - t0;
    const r = await runInt8Static(original, { ...(step.options as Record<string, unknown>), ranges: cal.ranges, evaluationFeeds: cal.sampleFeeds });
    // The kept-float layers for the engine-only run are listed after the pass's timing (below).
    quantizedNodes = r.stats.quantizedNodes;
    nextReuse = { ranges: cal.ranges };
    out = { model: r.model, calibrationMs, stats: { checkInferenceMs: r.stats.checkInferenceMs } };
    inferenceRan = true;
  } else {
    out = await handler.run(original, {
      options: step.options as never,
      signal: new AbortController().signal,
      reportProgress: () => {},
      modelName,
      original: { model: original, bytes },
      modelBytes: bytes,
      isTransformed: false,
      fallbackCalibration: calibration,
    });
  }
  lap("pass");
  phases.inference = (out.calibrationMs ?? 0) + Number(out.stats?.checkInferenceMs ?? 0);
  phases.pass -= phases.inference;
  const model = out.model ?? original;
  const encoded = encodeModel(model);
  lap("encode");
  sha256Hex(encoded);
  analyzeModel(model);
  lap("runnerOut");
  const peakAboveBaseBytes = readStatusKb("VmHWM") * 1024 - baseline;
  if (quantizedNodes) {
    const { listInt8StaticNodes } = await import("../worker/passes/quantize");
    const done = new Set(quantizedNodes);
    nextReuse.nodesToExclude = listInt8StaticNodes(original, step.options as Record<string, unknown>).filter((n) => !done.has(n));
  }
  const engineMs = phases.decode + phases.runnerIn + phases.pass + phases.encode + phases.runnerOut;
  const engineCpuMs = inferenceRan ? Number.NaN : engineCpuUs / 1000;
  return { result: { phases, engineMs, engineCpuMs, peakAboveBaseBytes, outBytes: encoded.byteLength, inferenceRan }, out: encoded, reuse: nextReuse };
}

/** Where int8-static's full run saves its ranges and kept-float layers ("save") for the engine-only run ("load"). */
type TReuseFile = { path: string; mode: "save" | "load" };

/**
 * One case in this (fresh) process. int8-static in "save" mode is the full pass (calibration and check inference)
 * and saves its ranges and kept-float layers; in "load" mode it is the engine-only variant that reads them and
 * runs no inference, cold and warm.
 */
async function runChild(modelName: string, presetName: string, file: string, reuseFile: TReuseFile): Promise<TEngineCaseResult> {
  const reusePath = reuseFile.mode === "load" ? reuseFile.path : undefined;
  const result: TEngineCaseResult = { model: modelName, preset: reusePath ? `${presetName} (engine only)` : presetName, ok: false };
  try {
    await loadRuntime();
    gc();
    result.baselineRssBytes = process.memoryUsage().rss;
    result.modelBytes = statSync(file).size;
    let reuse: TReuse = {};
    if (reusePath) {
      const saved = JSON.parse(readFileSync(reusePath, "utf8")) as { ranges: [string, unknown][]; nodesToExclude: string[] };
      reuse = { ranges: new Map(saved.ranges), nodesToExclude: saved.nodesToExclude };
    }
    const cold = await runOnce(modelName, presetName, file, reuse);
    result.cold = cold.result;
    if (!reusePath && cold.reuse.ranges) {
      writeFileSync(reuseFile.path, JSON.stringify({ ranges: [...(cold.reuse.ranges as Map<string, unknown>)], nodesToExclude: cold.reuse.nodesToExclude }));
    }
    gc();
    const warm = await runOnce(modelName, presetName, file, reusePath ? reuse : cold.reuse);
    result.warm = warm.result;
    const disk = readFileDirect(file);
    result.readDiskMs = disk.ms;
    result.readCached = disk.cached;
    const outFile = path.join(path.dirname(file), `out-${process.pid}.onnx`);
    result.writeSyncMs = await writeFileSynced(outFile, [warm.out]);
    await rm(outFile, { force: true });
    result.ok = true;
  } catch (err) {
    result.error = ((err as { userMessage?: string }).userMessage ?? (err as Error).message).split("\n")[0];
  }
  return result;
}

function spawnCase(modelName: string, presetName: string, file: string, reuse: TReuseFile): Promise<TEngineCaseResult> {
  return new Promise((resolve) => {
    const childArgs = [...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), "--expose-gc", "--import", "tsx", path.join(import.meta.dirname, "engine-bench.ts"), "--child", modelName, presetName, file, reuse.path, reuse.mode];
    const child = spawn(process.execPath, childArgs, {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as TEngineCaseResult);
      } catch {
        resolve({ model: modelName, preset: presetName, ok: false, error: `child exited with ${code}: ${out.slice(-300)}` });
      }
    });
  });
}

const f1 = (x: number | undefined) => (x === undefined ? "" : x.toFixed(1));
const f0 = (x: number | undefined) => (x === undefined ? "" : x.toFixed(0));

function renderTable(rows: TEngineCaseResult[], meta: string): string {
  const lines = [
    "# Engine cost benchmark (issue #3: engine time ≤ 2× disk IO, peak memory ≤ 3× model size)",
    "",
    meta,
    "",
    "Engine = decode + runner work on the original (analyze; the worker passes the upload's recorded SHA-256) + pass (graph and weight work, calibration",
    "inference excluded) + encode + runner work on the result. IO = O_DIRECT read of the model file + write of the",
    "result with fsync. Peak = VmHWM above the RSS of Node + engine + onnxruntime before the model is read.",
    "Cold = first run in a fresh process (module JIT warm-up included); warm = second run in the same process.",
    "CPU = the cold run's engine phases in process CPU time (user + system, all threads): on a loaded machine wall",
    "time waits for the CPU, CPU time does not ('n/a' where the phases include inference).",
    "int8-static: the first row is the whole pass in one process, calibration + fidelity-check inference included",
    "(its time is the 'inference' column and is not in engine ms; its memory is in the peaks). The '(engine only)' row",
    "is a fresh process that reads that run's activation ranges and kept-float layers and builds the same model",
    "without any inference: its peaks are the engine's alone.",
    "",
    "| model | preset | MB | decode | runner in | pass | encode | runner out | inference | engine cold ms | engine warm ms | cold CPU ms | IO ms | cold / IO | warm / IO | cold CPU / IO | cold peak MB (÷ model) | warm peak MB (÷ model) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    if (!r.ok || !r.cold || !r.warm) {
      lines.push(`| ${r.model} | ${r.preset} | | | | | | | | | | | | | | | error: ${r.error ?? "?"} | |`);
      continue;
    }
    const io = (r.readDiskMs ?? 0) + (r.writeSyncMs ?? 0);
    const size = (r.modelBytes ?? 1) / MB;
    const p = r.cold.phases;
    const w = r.warm.phases;
    const ph = (c: number, x: number) => `${f0(c)} / ${f0(x)}`;
    const cpuOk = Number.isFinite(r.cold.engineCpuMs);
    const cpuText = cpuOk ? f0(r.cold.engineCpuMs) : "n/a";
    const cpuRatio = cpuOk ? (r.cold.engineCpuMs / io).toFixed(2) : "n/a";
    lines.push(
      `| ${r.model} | ${r.preset} | ${f1(size)} | ${ph(p.decode, w.decode)} | ${ph(p.runnerIn, w.runnerIn)} | ${ph(p.pass, w.pass)} | ${ph(p.encode, w.encode)} | ${ph(p.runnerOut, w.runnerOut)} | ${f0(p.inference)} | ${f0(r.cold.engineMs)} | ${f0(r.warm.engineMs)} | ${cpuText} | ${f0(io)}${r.readCached ? "*" : ""} | ${(r.cold.engineMs / io).toFixed(2)} | ${(r.warm.engineMs / io).toFixed(2)} | ${cpuRatio} | ${f1(r.cold.peakAboveBaseBytes / MB)} (${(r.cold.peakAboveBaseBytes / MB / size).toFixed(2)}) | ${f1(r.warm.peakAboveBaseBytes / MB)} (${(r.warm.peakAboveBaseBytes / MB / size).toFixed(2)}) |`,
    );
  }
  lines.push("", "Phase columns are cold / warm ms. * = O_DIRECT refused, cached read.");
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") {
    const r = await runChild(args[1], args[2], args[3], { path: args[4], mode: args[5] === "load" ? "load" : "save" });
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  }
  const models = readListFlag(args, "model") ?? ["ppocr_det", "transformer_encoder", "transformer_large"];
  const presets = readListFlag(args, "preset") ?? ["int8-dynamic", "int8-static", "fp16", "int4-weight"];
  const outArg = args.indexOf("--out");
  const outFile = outArg >= 0 ? args[outArg + 1] : path.join(import.meta.dirname, "results", "engine.md");
  const tmp = await mkdtemp(path.join(os.tmpdir(), "condense-engine-bench-"));
  const rows: TEngineCaseResult[] = [];
  try {
    for (const modelName of models) {
      const generated = GENERATED.get(modelName);
      let file: string;
      if (generated) {
        file = path.join(tmp, `${modelName}.onnx`);
        await writeFile(file, encodeModelParts(generated.build()));
      } else file = await getFixtureModel(modelName as TFixtureModelName);
      for (const presetName of presets) {
        const reusePath = path.join(tmp, `${modelName}.${presetName}.reuse.json`);
        const runs = [await spawnCase(modelName, presetName, file, { path: reusePath, mode: "save" })];
        if (presetName === "int8-static" && runs[0].ok) runs.push(await spawnCase(modelName, presetName, file, { path: reusePath, mode: "load" }));
        for (const r of runs) {
          rows.push(r);
          process.stderr.write(
            r.ok
              ? `${modelName} ${r.preset}: engine cold ${f0(r.cold!.engineMs)} ms, warm ${f0(r.warm!.engineMs)} ms, IO ${f0((r.readDiskMs ?? 0) + (r.writeSyncMs ?? 0))} ms, peak ${f1(r.cold!.peakAboveBaseBytes / MB)} / ${f1(r.warm!.peakAboveBaseBytes / MB)} MB\n`
              : `${modelName} ${r.preset}: ${r.error}\n`,
          );
        }
      }
      if (generated) await rm(file, { force: true });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const meta = `Measured ${new Date().toISOString()} on ${os.cpus()[0]?.model ?? "?"} (${os.availableParallelism()} cores), Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} at the end (other work shared the machine).`;
  const table = renderTable(rows, meta);
  process.stdout.write(table);
  writeFileSync(outFile, table);
}

await main();
