/**
 * Tune bench (issue 10): runs the tune coordinator's search (goal cosine ≥ 0.99, minimize latency, 20 trials) on
 * the PP-OCR classifier and detector with an in-process trial runner (the same runPipeline the worker runs, one
 * trial at a time), and compares the recommended trial with the best single preset measured in the same search.
 *
 *   npx tsx bench/tune-bench.ts [--model ppocr_cls] [--max-trials 20] [--floor 0.99] [--objective latency]
 *
 * Latency ratios come from each trial's own interleaved measurement, so they survive a loaded machine; absolute
 * times do not. Writes bench/results/tune-<model>.json.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ZTuneGoal, type TTuneGoal, type TTuneReport } from "../contracts/tune";
import { getFixtureModel, type TFixtureModelName } from "../tests/fixtures/fetch-models";
import { createGeneratedDataSource } from "../worker/data/generated-source";
import { summarizeReport } from "../worker/jobs/summarize-report";
import { decodeModel } from "../worker/onnx/model-io";
import { runPipeline } from "../worker/pipeline/run-pipeline";
import { checkQdqFusion, describeModelTraits } from "../worker/tune/model-traits";
import { runTuneSearch, type TTrialBackend, type TTrialExtras, type TTrialRecord } from "../worker/tune/run-tune-search";
import { scoreObjective } from "../worker/tune/tune-selection";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIM_SIZES: Readonly<Record<string, Record<string, number>>> = {
  ppocr_cls: { "p2o.DynamicDimension.1": 48, "p2o.DynamicDimension.2": 192 },
  ppocr_det: { "p2o.DynamicDimension.1": 320, "p2o.DynamicDimension.2": 320 },
};
/** Round-1 candidates that are plain presets: the "best single preset" baseline. */
const PRESET_CANDIDATES: ReadonlySet<string> = new Set(["int8-static", "max-speed", "prune-channels", "low-rank", "int8-dynamic", "int4-weight", "fp16", "cluster", "max-compression"]);

function readArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Trials run one at a time in this process (2 cores: parallel trials would distort each other's latency). */
function createInProcessBackend(modelName: string, bytes: Uint8Array, log: (line: string) => void): TTrialBackend & { done: Promise<void> } {
  const model = decodeModel(bytes);
  const records: (TTrialRecord & { report?: unknown; compressed?: Uint8Array; wallMs?: number })[] = [];
  let chain = Promise.resolve();
  const backend = {
    done: Promise.resolve(),
    listTrials: async () => records.map((r) => ({ ...r })),
    createTrial: async (c: { id: string; pipeline: { steps: unknown[] } }) => {
      const existing = records.find((r) => r.candidateId === c.id);
      if (existing) return existing.jobId;
      const rec: (typeof records)[number] = { jobId: `trial-${records.length + 1}`, candidateId: c.id, pipeline: c.pipeline, state: "queued" };
      records.push(rec);
      chain = chain.then(async () => {
        if (rec.state !== "queued") return;
        rec.state = "running";
        const t0 = performance.now();
        try {
          const run = await runPipeline({
            modelBytes: bytes,
            modelName: `${modelName}.onnx`,
            pipeline: c.pipeline as never,
            signal: new AbortController().signal,
            reportProgress: () => {},
            generatedDimSizes: DIM_SIZES[modelName],
            fallbackCalibration: createGeneratedDataSource(model, { seedOffset: 0, batchCount: 8, dimSizes: DIM_SIZES[modelName] }),
          });
          rec.compressed = run.artifacts.find((a) => a.name.endsWith(".onnx"))?.bytes;
          rec.report = run.report;
          rec.result = summarizeReport(run.report, []);
          rec.state = "succeeded";
        } catch (err) {
          rec.state = "failed";
          rec.error = (err as Error).message;
        }
        rec.wallMs = performance.now() - t0;
        log(`  ${rec.candidateId}: ${rec.state} in ${(rec.wallMs / 1000).toFixed(1)} s ${rec.result ? `cos ${rec.result.fidelity?.cosine.toFixed(4)} lat ${rec.result.latencyRatioP50?.toFixed(3)} size ${rec.result.sizeRatio?.toFixed(3)}` : (rec.error ?? "")}`);
      });
      backend.done = chain;
      return rec.jobId;
    },
    cancelTrials: async (ids: string[]) => {
      for (const r of records) if (ids.includes(r.jobId) && r.state === "queued") r.state = "canceled";
    },
    loadExtras: async (t: TTrialRecord): Promise<TTrialExtras> => {
      const r = records.find((x) => x.jobId === t.jobId);
      const report = r?.report as { sensitivity?: TTrialExtras["sensitivity"]; original?: { latencyMs?: { p50: number } } } | undefined;
      return {
        sensitivity: report?.sensitivity,
        originalLatencyMsP50: report?.original?.latencyMs?.p50,
        qdq: r?.compressed ? await checkQdqFusion(r.compressed) : undefined,
      };
    },
  };
  return backend;
}

async function benchModel(name: TFixtureModelName, goal: TTuneGoal): Promise<{ report: TTuneReport; wallSeconds: number }> {
  const bytes = new Uint8Array(await readFile(await getFixtureModel(name)));
  console.log(`${name}: ${(bytes.byteLength / 1e6).toFixed(2)} MB, goal ${goal.floor.metric} ≥ ${goal.floor.min}, minimize ${goal.objective}, ${goal.budget.maxTrials} trials`);
  const backend = createInProcessBackend(name, bytes, console.log);
  const t0 = performance.now();
  const { report } = await runTuneSearch({
    tuneJobId: `bench-${name}`,
    goal,
    model: describeModelTraits(decodeModel(bytes), bytes.byteLength),
    backend,
    signal: new AbortController().signal,
    maxParallelTrials: 1,
    pollIntervalMs: 200,
  });
  return { report, wallSeconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const models = (readArg("model")?.split(",") ?? ["ppocr_cls", "ppocr_det"]) as TFixtureModelName[];
  const goal = ZTuneGoal.parse({
    floor: { metric: "cosine", min: Number(readArg("floor") ?? 0.99) },
    objective: readArg("objective") ?? "latency",
    budget: { maxTrials: Number(readArg("max-trials") ?? 20) },
  });
  await mkdir(path.join(ROOT, "bench", "results"), { recursive: true });
  for (const name of models) {
    const { report, wallSeconds } = await benchModel(name, goal);
    const presets = report.trials.filter((t) => PRESET_CANDIDATES.has(t.candidateId) && t.meetsGoal);
    const bestPreset = presets.sort((a, b) => scoreObjective(a, goal.objective) - scoreObjective(b, goal.objective))[0];
    const chosen = report.trials.find((t) => t.jobId === report.recommendedJobId);
    const verdict =
      chosen && (!bestPreset || scoreObjective(chosen, goal.objective) <= scoreObjective(bestPreset, goal.objective)) ? "at least as good as the best single preset" : "WORSE than the best single preset";
    console.log(`${name}: ${report.trials.length} trials in ${wallSeconds.toFixed(0)} s, stopped: ${report.stoppedBecause}`);
    console.log(`  recommended: ${chosen ? `${chosen.candidateId} cos ${chosen.cosine?.toFixed(4)} latency ${chosen.latencyRatioP50?.toFixed(3)}× size ${chosen.sizeRatio?.toFixed(3)}` : "none"}`);
    console.log(`  best single preset meeting the goal: ${bestPreset ? `${bestPreset.candidateId} latency ${bestPreset.latencyRatioP50?.toFixed(3)}×` : "none"} → ${verdict}`);
    for (const line of report.explanation) console.log(`  · ${line}`);
    await writeFile(path.join(ROOT, "bench", "results", `tune-${name}.json`), JSON.stringify({ wallSeconds, verdict, bestPreset: bestPreset?.candidateId ?? null, report }, null, 2));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
