/**
 * One benchmark case (model × preset), run in its own child process by bench/run-bench.ts so its peak RSS
 * (process.resourceUsage().maxRSS) belongs to this case alone. Prints one JSON line (TBenchCaseResult) on stdout.
 *
 * Timings: `ioMs` = reading the model file + writing the result; `calibrationMs` = calibration inference
 * (excluded from engine time, as the target says); `engineMs` = decode + pass (without calibration) + encode.
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
  ioMs?: number;
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
 * inputs cannot drive them, so they get synthetic 512-sample chunks (tone + noise), a zero state and sr = 16000.
 */
function createSileroSource(batchCount: number, seedOffset: number): TDataSource {
  const makeBatch = (i: number): TDataBatch => {
    const rand = createRandom(seedOffset + i + 1);
    const audio = Float32Array.from({ length: 512 }, (_, t) => 0.3 * Math.sin((2 * Math.PI * (200 + 50 * i) * t) / 16000) + 0.05 * (rand() - 0.5));
    return {
      sampleCount: 1,
      feeds: {
        input: { dtype: "float32", dims: [1, 512], data: audio },
        state: { dtype: "float32", dims: [2, 1, 128], data: new Float32Array(256) },
        sr: { dtype: "int64", dims: [], data: new BigInt64Array([16000n]) },
      },
    };
  };
  return {
    source: "generated",
    description: `${batchCount} synthetic 512-sample audio chunks at 16 kHz (tone + noise), zero state`,
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
  return createGeneratedDataSource(model, { seedOffset, batchCount, dimSizes: FIXTURE_DIM_SIZES[modelName] });
}

/** Generated calibration batches (the bench has no real data for these fixtures). */
const CALIBRATION_BATCHES = 8;

/** Runs one case and returns its measurements (errors are captured, not thrown). */
export async function runBenchCase(modelName: TFixtureModelName, presetName: string): Promise<TBenchCaseResult> {
  const result: TBenchCaseResult = { model: modelName, preset: presetName, ok: false };
  const preset = findPreset(presetName);
  if (!preset) return { ...result, error: `unknown preset ${presetName}` };
  const modelPath = await getFixtureModel(modelName);
  const tmp = await mkdtemp(path.join(os.tmpdir(), "condense-bench-"));
  try {
    result.baselineRssBytes = process.memoryUsage().rss;
    const tRead = performance.now();
    const bytes = new Uint8Array(await readFile(modelPath));
    const readMs = performance.now() - tRead;

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
      generatedDimSizes: FIXTURE_DIM_SIZES[modelName],
      fallbackCalibration: createBenchSource(modelName, original, CALIBRATION_BATCHES, 0),
      evaluate: false,
    });
    const compressed = run.artifacts.find((a) => a.name.endsWith(".compressed.onnx"));
    if (!compressed) throw new Error("the preset produced no model");
    const outBytes = compressed.bytes;
    const calibrationMs = (run.report.steps ?? []).reduce((a, s) => a + (s.calibrationMs ?? 0), 0);
    const engineMs = performance.now() - tEngine - calibrationMs;
    const warnings = [...run.report.warnings];
    const stepRows = run.report.steps ?? [];
    const model = decodeModel(outBytes);

    const tWrite = performance.now();
    await writeFile(path.join(tmp, "out.onnx"), outBytes);
    const writeMs = performance.now() - tWrite;
    result.peakRssBytes = process.resourceUsage().maxRSS * 1024;

    const report = await buildComparisonReport({
      original: { bytes, model: original },
      compressed: { bytes: outBytes, model },
      pipeline: preset.pipeline,
      data: createBenchSource(modelName, original, 4, 1000),
      latency: { runs: 40, warmupRuns: 5 },
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
      ioMs: readMs + writeMs,
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
  const [modelName, presetName] = process.argv.slice(2);
  const r = await runBenchCase(modelName as TFixtureModelName, presetName);
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}
