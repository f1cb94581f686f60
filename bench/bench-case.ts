/**
 * One benchmark case (model × preset), run in its own child process by bench/run-bench.ts so its peak RSS
 * (process.resourceUsage().maxRSS) belongs to this case alone. Prints one JSON line (TBenchCaseResult) on stdout.
 *
 * Timings: `ioMs` = reading the model file from disk (O_DIRECT, bypassing the page cache) + writing the result with
 * fsync; `ioCachedMs` the same through the page cache (plain readFile of a cached file + writeFile without fsync),
 * which is what a naive measurement reports; `calibrationMs` = calibration inference (excluded from engine time, as
 * the target says); `engineMs` = decode + pass (without calibration) + encode.
 * Memory: `baselineRssBytes` is the RSS once Node, the engine modules and onnxruntime (one tiny session run) are
 * loaded, before the model is read; `peakRssBytes` the process high-water mark up to writing the result.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { findPreset } from "../contracts/pipeline";
import { createGeneratedDataSource } from "../worker/data/generated-source";
import { buildComparisonReport } from "../worker/evaluate/build-comparison-report";
import { decodeModel } from "../worker/onnx/model-io";
import { runPipeline } from "../worker/pipeline/run-pipeline";
import type { TDataBatch, TDataSource } from "../worker/data/data-source";
import { createRandom } from "../worker/data/generate-inputs";
import type { TModelProto } from "../worker/onnx/onnx-proto";
import { getFixtureModel, type TFixtureModelName } from "../tests/fixtures/fetch-models";
import { encodeModel } from "../worker/onnx/model-io";
import { buildTransformerEncoder } from "../worker/passes/quantize/testing/build-models";
import { loadRuntime, readFileDirect, writeFileSynced } from "./bench-io";

export type TBenchCaseResult = {
  model: string;
  preset: string;
  ok: boolean;
  error?: string;
  originalBytes?: number;
  compressedBytes?: number;
  sizeRatio?: number;
  latencyOriginalP50Ms?: number;
  latencyCompressedP50Ms?: number;
  latencyRatio?: number;
  cosine?: number;
  snrDb?: number;
  /** Disk read (O_DIRECT) + write with fsync. */
  ioMs?: number;
  readDiskMs?: number;
  writeSyncMs?: number;
  /** True when O_DIRECT was refused (e.g. tmpfs) and the read went through the page cache. */
  readCached?: boolean;
  /** Cached read + write without fsync (the page cache figure, for comparison). */
  ioCachedMs?: number;
  /** What the calibration/evaluation inputs were (data source description). */
  inputs?: string;
  calibrationMs?: number;
  engineMs?: number;
  /** Peak RSS of this process during decode + calibration + pass + encode + write (before evaluation). */
  peakRssBytes?: number;
  /** RSS after loading modules, before reading the model (Node + onnxruntime baseline). */
  baselineRssBytes?: number;
  warnings?: string[];
  /** Per step of multi-step presets: size ratio after it and its wall time. */
  steps?: { pass: string; sizeRatio?: number; wallMs: number }[];
};

/**
 * Input sizes close to real use for each fixture's symbolic dims (generated inputs otherwise default to small
 * images): PP-OCR classifier 48×192 crops, detector 320×320 pages, recogniser 48×320 lines, VAD 512-sample chunks.
 */
const FIXTURE_DIM_SIZES: Readonly<Record<string, Record<string, number>>> = {
  ppocr_cls: { "p2o.DynamicDimension.1": 48, "p2o.DynamicDimension.2": 192 },
  ppocr_det: { "p2o.DynamicDimension.1": 320, "p2o.DynamicDimension.2": 320 },
  ppocr_rec: { "p2o.DynamicDimension.1": 320 },
  silero_vad_legacy: { sequence: 512 },
};
/**
 * Silero v5/v6 declare [?, ?] audio, a state and a sample rate that must be 8000 or 16000: random signature
 * inputs cannot drive them, so they get synthetic chunks (tone + noise) at both rates, a zero state and the matching sr.
 */
function createSileroSource(batchCount: number, seedOffset: number): TDataSource {
  // Alternating 16 kHz (512 samples) and 8 kHz (256 samples) chunks: each rate runs its own If branch, and a
  // branch the calibration never takes stays float.
  const makeBatch = (i: number): TDataBatch => {
    const rand = createRandom(seedOffset + i + 1);
    const sampleRate = i % 2 === 0 ? 16000 : 8000;
    const length = sampleRate === 16000 ? 512 : 256;
    const audio = Float32Array.from({ length }, (_, t) => 0.3 * Math.sin((2 * Math.PI * (200 + 50 * i) * t) / sampleRate) + 0.05 * (rand() - 0.5));
    return {
      sampleCount: 1,
      feeds: {
        input: { dtype: "float32", dims: [1, length], data: audio },
        state: { dtype: "float32", dims: [2, 1, 128], data: new Float32Array(256) },
        sr: { dtype: "int64", dims: [], data: new BigInt64Array([BigInt(sampleRate)]) },
      },
    };
  };
  return {
    source: "generated",
    description: `${batchCount} synthetic audio chunks alternating 512 samples at 16 kHz and 256 at 8 kHz (tone + noise), zero state`,
    sampleCount: batchCount,
    hasLabels: false,
    batches: (opts = {}) => ({
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < Math.min(batchCount, opts.maxBatches ?? Infinity); i++) yield makeBatch(i);
      },
    }),
  };
}

function createBenchSource(modelName: string, model: TModelProto, batchCount: number, seedOffset: number): TDataSource {
  if (modelName === "silero_vad_v5" || modelName === "silero_vad_v6") return createSileroSource(batchCount, seedOffset);
  return createGeneratedDataSource(model, { seedOffset, batchCount, dimSizes: FIXTURE_DIM_SIZES[modelName] ?? GENERATED_BENCH_MODELS.get(modelName)?.dimSizes });
}

/**
 * Models generated in the repo (no download): built by code, written to the case's temp folder so reading it is
 * measured like a fixture file. `transformer_encoder` is the MatMul-heavy case: 4 pre-LN blocks, dim 384, 6 heads,
 * MLP 1536 with exact Gelu (≈ 7.1 M parameters, 28 MB), input [1, 128, 384].
 */
export const GENERATED_BENCH_MODELS: ReadonlyMap<string, { build: () => TModelProto; dimSizes: Record<string, number> }> = new Map([
  ["transformer_encoder", { build: () => buildTransformerEncoder({ dim: 384, heads: 6, blocks: 4, seed: 11 }), dimSizes: { batch: 1, seq: 128 } }],
]);

async function resolveBenchModel(modelName: string, tmp: string): Promise<string> {
  const generated = GENERATED_BENCH_MODELS.get(modelName);
  if (!generated) return getFixtureModel(modelName as TFixtureModelName);
  const file = path.join(tmp, `${modelName}.onnx`);
  await writeFile(file, encodeModel(generated.build()));
  return file;
}

/** Generated calibration batches (the bench has no real data for these fixtures). */
const CALIBRATION_BATCHES = 8;

/** Runs one case and returns its measurements (errors are captured, not thrown). */
export async function runBenchCase(modelName: string, presetName: string, optionOverrides?: Record<string, unknown>): Promise<TBenchCaseResult> {
  const label = optionOverrides ? `${presetName} ${JSON.stringify(optionOverrides)}` : presetName;
  const result: TBenchCaseResult = { model: modelName, preset: label, ok: false };
  const found = findPreset(presetName);
  if (!found) return { ...result, error: `unknown preset ${presetName}` };
  // Candidate defaults are measured by overriding the preset's options (every step gets the same overrides).
  const preset = optionOverrides
    ? { ...found, pipeline: { ...found.pipeline, steps: found.pipeline.steps.map((st) => ({ ...st, options: { ...st.options, ...optionOverrides } })) as typeof found.pipeline.steps } }
    : found;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "condense-bench-"));
  try {
    const modelPath = await resolveBenchModel(modelName, tmp);
    await loadRuntime();
    result.baselineRssBytes = process.memoryUsage().rss;
    const tRead = performance.now();
    const bytes = new Uint8Array(await readFile(modelPath));
    const readCachedMs = performance.now() - tRead;

    // Decoding here only gives the synthetic calibration source its signature: zero-copy, not engine work.
    const original = decodeModel(bytes);
    const tEngine = performance.now();
    // The shared runner with evaluation off: decode + passes + encode, with calibration inference timed apart in
    // report.steps. No `calibration` given: int8-static calibrates on generated inputs, int4-weight uses
    // round-to-nearest, so engine time excludes calibration inference as the target requires.
    const run = await runPipeline({
      modelBytes: bytes,
      modelName: `${modelName}.onnx`,
      pipeline: preset.pipeline,
      signal: new AbortController().signal,
      reportProgress: () => {},
      generatedDimSizes: FIXTURE_DIM_SIZES[modelName] ?? GENERATED_BENCH_MODELS.get(modelName)?.dimSizes,
      fallbackCalibration: createBenchSource(modelName, original, CALIBRATION_BATCHES, 0),
      evaluate: false,
    });
    const compressed = run.artifacts.find((a) => a.name.endsWith(".compressed.onnx"));
    if (!compressed) throw new Error("the preset produced no model");
    const outBytes = compressed.bytes;
    // Calibration inference and int8-static's fidelity-check inference (stats.checkInferenceMs) are both
    // data-dependent inference, not graph work: excluded from engine time and shown together as "calib ms".
    const checkMs = (run.report.steps ?? []).reduce((a, s) => a + Number((s.stats as { checkInferenceMs?: number } | undefined)?.checkInferenceMs ?? 0), 0);
    const calibrationMs = (run.report.steps ?? []).reduce((a, s) => a + (s.calibrationMs ?? 0), 0) + checkMs;
    const engineMs = performance.now() - tEngine - calibrationMs;
    const warnings = [...run.report.warnings];
    const stepRows = run.report.steps ?? [];
    const model = decodeModel(outBytes);

    const writeSyncMs = await writeFileSynced(path.join(tmp, "out.onnx"), outBytes);
    const tWrite = performance.now();
    await writeFile(path.join(tmp, "out-cached.onnx"), outBytes);
    const writeCachedMs = performance.now() - tWrite;
    result.peakRssBytes = process.resourceUsage().maxRSS * 1024;
    // After the peak is read: the O_DIRECT read's own model-sized buffer is the measurement's, not the engine's.
    const disk = readFileDirect(modelPath);

    const report = await buildComparisonReport({
      original: { bytes, model: original },
      compressed: { bytes: outBytes, model },
      pipeline: preset.pipeline,
      data: createBenchSource(modelName, original, 4, 1000),
      // BENCH_LATENCY_RUNS raises the interleaved runs when a ratio near a target needs a steadier median.
      latency: { runs: Number(process.env.BENCH_LATENCY_RUNS ?? 40), warmupRuns: 5 },
      // BENCH_THREADS fixes onnxruntime's intra-op threads of both sessions (default: min(4, cores)).
      ...(process.env.BENCH_THREADS ? { intraOpThreads: Number(process.env.BENCH_THREADS) } : {}),
    });
    return {
      ...result,
      ok: true,
      originalBytes: bytes.byteLength,
      compressedBytes: outBytes.byteLength,
      sizeRatio: outBytes.byteLength / bytes.byteLength,
      latencyOriginalP50Ms: report.original.latencyMs?.p50,
      latencyCompressedP50Ms: report.compressed?.latencyMs?.p50,
      latencyRatio: report.comparison?.latencyRatioP50,
      cosine: report.fidelity?.cosine,
      snrDb: report.fidelity?.snrDb,
      ioMs: disk.ms + writeSyncMs,
      readDiskMs: disk.ms,
      writeSyncMs,
      readCached: disk.cached,
      ioCachedMs: readCachedMs + writeCachedMs,
      inputs: createBenchSource(modelName, original, CALIBRATION_BATCHES, 0).description,
      calibrationMs,
      engineMs,
      steps: stepRows.map((r) => ({ pass: r.pass, sizeRatio: r.sizeRatio, wallMs: r.wallMs })),
      warnings: [...warnings, ...report.warnings].filter((w) => !w.includes("generated inputs")),
    };
  } catch (err) {
    return { ...result, error: ((err as { userMessage?: string }).userMessage ?? (err as Error).message).split("\n")[0] };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

// Run as a child: `tsx bench/bench-case.ts MODEL PRESET`.
if (process.argv[1] && path.resolve(process.argv[1]).endsWith(path.join("bench", "bench-case.ts"))) {
  const [modelName, presetName, overrides] = process.argv.slice(2);
  const r = await runBenchCase(modelName, presetName, overrides ? (JSON.parse(overrides) as Record<string, unknown>) : undefined);
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}
