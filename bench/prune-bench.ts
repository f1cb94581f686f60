/**
 * `npx tsx bench/prune-bench.ts`: the pruning targets of the engine issue on the PP-OCR fixtures.
 * - prune-channels (30%, L1): MACs ratio and latency ratio of the pass's output (original and pruned measured
 *   interleaved in this run, at realistic input sizes), split into what pruning alone and the pass's exact graph
 *   rewrites alone (optimizeGraph, applied to the original) give; output cosine before any fine-tuning (on synthetic text-like document images), and the
 *   cosine of the same preset ranked by Taylor importance (calibrated on other text-like images);
 * - prune-magnitude (50%): file size ratio vs the same weights stored dense, and whether onnxruntime's outputs equal
 *   the masked-dense model's.
 * Prints a markdown table and writes bench/results/pruning.md. Not a test: numbers depend on the machine.
 * Flags: `--model ppocr_det,ppocr_cls`, `--runs N` (timed runs per model, default 20).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRandom } from "../worker/data/generate-inputs";
import { countMacs } from "../worker/evaluate/count-macs";
import { measureLatencyInterleaved } from "../worker/evaluate/measure-latency";
import { decodeModel, encodeModel } from "../worker/onnx/model-io";
import type { TModelProto } from "../worker/onnx/onnx-proto";
import { pruneChannels } from "../worker/passes/prune/prune-channels";
import { pruneMagnitude } from "../worker/passes/prune/prune-magnitude";
import { optimizePrunedGraph } from "../worker/passes/prune/optimize-graph";
import { createInferenceSession, getRuntimeInfo, type TRuntimeTensor } from "../worker/runtime/ort";
import { getFixtureModel, type TFixtureModelName } from "../tests/fixtures/fetch-models";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Realistic input sizes: the detector at 640×640, the text-line classifier at 48×192. */
const CASES: { model: TFixtureModelName; label: string; batch: number; height: number; width: number; normalize: "imagenet" | "symmetric" }[] = [
  { model: "ppocr_det", label: "ppocr_det", batch: 1, height: 640, width: 640, normalize: "imagenet" },
  { model: "ppocr_cls", label: "ppocr_cls", batch: 1, height: 48, width: 192, normalize: "symmetric" },
  // PaddleOCR classifies text lines in batches of 6 (cls_batch_num): the realistic load for this tiny model.
  { model: "ppocr_cls", label: "ppocr_cls (batch 6)", batch: 6, height: 48, width: 192, normalize: "symmetric" },
];

/**
 * A synthetic document image: light paper with dark "words" (short bars) on text lines, normalised as PP-OCR does.
 * Random N(0,1) inputs make the detector output ~0 everywhere, so fidelity must be measured on text-like images.
 */
function createTextLikeImage(c: (typeof CASES)[number], seed: number): TRuntimeTensor {
  const rand = createRandom(seed);
  const { batch, height: h, width: w } = c;
  const data = new Float32Array(batch * 3 * h * w);
  const mean = c.normalize === "imagenet" ? [0.485, 0.456, 0.406] : [0.5, 0.5, 0.5];
  const std = c.normalize === "imagenet" ? [0.229, 0.224, 0.225] : [0.5, 0.5, 0.5];
  for (let b = 0; b < batch; b++) {
    const gray = new Float32Array(h * w).map(() => 0.85 + rand() * 0.1);
    const lineHeight = Math.max(8, Math.round(h / (h > 100 ? 20 : 1.6)));
    for (let y0 = Math.round(lineHeight / 3); y0 + lineHeight <= h; y0 += Math.round(lineHeight * 1.8)) {
      const th = Math.round(lineHeight * 0.6);
      for (let x0 = 4 + Math.floor(rand() * 10); x0 < w - 8; ) {
        const ww = 3 + Math.floor(rand() * Math.max(4, lineHeight * 0.8));
        const ink = 0.05 + rand() * 0.2;
        for (let y = y0; y < Math.min(h, y0 + th); y++) for (let x = x0; x < Math.min(w, x0 + ww); x++) if (rand() < 0.8) gray[y * w + x] = ink;
        x0 += ww + 2 + Math.floor(rand() * lineHeight * 0.5);
      }
    }
    for (let ch = 0; ch < 3; ch++) {
      for (let i = 0; i < h * w; i++) data[((b * 3 + ch) * h * w) + i] = (gray[i] - mean[ch]) / std[ch];
    }
  }
  return { type: "float32", dims: [batch, 3, h, w], data };
}

type TRow = {
  model: string;
  inputShape: string;
  macsRatio: number;
  paramsRatio: number;
  latencyOriginalMs: number;
  latencyPrunedMs: number;
  latencyRatio: number;
  /** Pruned graph before the pass's exact rewrites (optimizeGraph), vs the original. */
  latencyRatioPruningOnly: number;
  /** The original with the same rewrites and no pruning, vs the original: what the rewrites alone give. */
  latencyRatioRewritesOnly: number;
  cosine: number;
  /** Cosine of the same preset ranked by Taylor importance on text-like calibration images; or why it fell back. */
  taylorCosine: number | string;
  channelsMs: number;
  magnitudeSizeRatio: number;
  magnitudeGzipRatio: number;
  magnitudeVsOriginalFile: number;
  magnitudeMaxAbsDiff: number;
  magnitudeLatencyRatio: number;
  storage: string;
};

function readFlag(name: string): string | undefined {
  const i = process.argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i === -1) return undefined;
  return process.argv[i].includes("=") ? process.argv[i].split("=")[1] : process.argv[i + 1];
}

/** Cosine over all outputs of several generated inputs (float64 accumulation). */
async function measureCosine(a: TModelProto, b: TModelProto, feedsList: Record<string, TRuntimeTensor>[]): Promise<{ cosine: number; maxAbsDiff: number }> {
  const sa = await createInferenceSession(encodeModel(a));
  const sb = await createInferenceSession(encodeModel(b));
  let dot = 0;
  let na = 0;
  let nb = 0;
  let maxAbsDiff = 0;
  try {
    for (const feeds of feedsList) {
      const oa = await sa.run(feeds);
      const ob = await sb.run(feeds);
      for (const k of Object.keys(oa)) {
        const x = oa[k].data as Float32Array;
        const y = ob[k].data as Float32Array;
        for (let i = 0; i < x.length; i++) {
          dot += x[i] * y[i];
          na += x[i] * x[i];
          nb += y[i] * y[i];
          maxAbsDiff = Math.max(maxAbsDiff, Math.abs(x[i] - y[i]));
        }
      }
    }
  } finally {
    await sa.release();
    await sb.release();
  }
  return { cosine: na === 0 || nb === 0 ? (na === nb ? 1 : 0) : dot / Math.sqrt(na * nb), maxAbsDiff };
}

/** p50 of each model, all measured interleaved in one loop. */
async function measureLatencies(models: TModelProto[], feeds: Record<string, TRuntimeTensor>, runs: number): Promise<number[]> {
  const sessions = await Promise.all(models.map((m) => createInferenceSession(encodeModel(m))));
  try {
    return (await measureLatencyInterleaved(sessions, feeds, { warmupRuns: 3, runs })).map((l) => l.p50);
  } finally {
    for (const s of sessions) await s.release();
  }
}


async function benchModel(c: (typeof CASES)[number], runs: number): Promise<TRow> {
  const bytes = new Uint8Array(await readFile(await getFixtureModel(c.model)));
  const model = decodeModel(bytes);
  const inputName = model.graph!.input[0].name!;
  const feeds = { [inputName]: createTextLikeImage(c, 0) };
  const evalFeeds = [1, 2, 3].map((seed) => ({ [inputName]: createTextLikeImage(c, seed) }));

  const t0 = performance.now();
  const channels = await pruneChannels(model, { ratio: 0.3, feeds: { [inputName]: createTextLikeImage({ ...c, batch: 1, height: Math.min(c.height, 160), width: Math.min(c.width, 192) }, 9) } });
  const channelsMs = performance.now() - t0;
  const macsBefore = await countMacs(model, { feeds });
  const macsAfter = await countMacs(channels.model, { feeds });
  // The pass's output: pruning, then the exact rewrites of `optimizeGraph` (on by default).
  const artifact = optimizePrunedGraph(channels.model).model;
  const [latOrig, latPruned, latPrunedOnly, latRewritesOnly] = await measureLatencies(
    [model, artifact, channels.model, optimizePrunedGraph(model).model],
    feeds,
    runs,
  );
  const { cosine } = await measureCosine(model, artifact, evalFeeds);
  const small = { ...c, batch: 1, height: Math.min(c.height, 160), width: Math.min(c.width, 192) };
  const taylor = await pruneChannels(model, {
    ratio: 0.3,
    importance: "taylor",
    feeds: { [inputName]: createTextLikeImage({ ...small, batch: 1 }, 9) },
    calibration: Array.from({ length: 16 }, (_, i) => 20 + i).map((seed) => ({ [inputName]: createTextLikeImage(small, seed) })),
  });
  const taylorCosine =
    taylor.report.settings?.importance === "taylor"
      ? (await measureCosine(model, taylor.model, evalFeeds)).cosine
      : `L1 fallback (${/no gradient rule for ([A-Za-z]+)/.exec(taylor.warnings.join(" "))?.[1] ?? "no gradients"})`;
  if (typeof taylorCosine === "string") console.error(taylor.warnings);

  const magnitude = pruneMagnitude(model, { sparsity: 0.5 });
  const exact = await measureCosine(magnitude.maskedDenseModel, magnitude.model, evalFeeds);
  const [latDense, latSparse] = await measureLatencies([magnitude.maskedDenseModel, magnitude.model], feeds, Math.max(5, Math.floor(runs / 2)));
  const storageCounts: Record<string, number> = {};
  for (const l of magnitude.report.layers) storageCounts[l.storage ?? "?"] = (storageCounts[l.storage ?? "?"] ?? 0) + 1;
  const size = magnitude.report.size!;
  return {
    model: c.label,
    inputShape: Object.values(feeds)[0].dims.join("×"),
    macsRatio: macsAfter.macs / macsBefore.macs,
    paramsRatio: macsAfter.params / macsBefore.params,
    latencyOriginalMs: latOrig,
    latencyPrunedMs: latPruned,
    latencyRatio: latPruned / latOrig,
    latencyRatioPruningOnly: latPrunedOnly / latOrig,
    latencyRatioRewritesOnly: latRewritesOnly / latOrig,
    cosine,
    taylorCosine,
    channelsMs,
    magnitudeSizeRatio: size.sizeBytes / size.denseSizeBytes,
    magnitudeGzipRatio: size.gzipSizeBytes / size.denseGzipSizeBytes,
    magnitudeVsOriginalFile: size.sizeBytes / bytes.byteLength,
    magnitudeMaxAbsDiff: exact.maxAbsDiff,
    magnitudeLatencyRatio: latSparse / latDense,
    storage: Object.entries(storageCounts).map(([k, v]) => `${v} ${k}`).join(", "),
  };
}

function formatTable(rows: TRow[]): string {
  const f = (v: number, d = 3) => v.toFixed(d);
  const lines = [
    "| model | input | channels-30% MACs ratio (≤0.6) | params ratio | latency p50 orig → pruned ms | latency ratio (≤0.75) | pruning only | rewrites only | cosine (no fine-tune) | cosine, Taylor | prune time s | magnitude-50% size ratio vs dense (≤0.6) | gzip ratio | vs original file | max abs diff vs masked dense | sparse/dense latency | storage |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.inputShape} | ${f(r.macsRatio)} | ${f(r.paramsRatio)} | ${f(r.latencyOriginalMs, 1)} → ${f(r.latencyPrunedMs, 1)} | ${f(r.latencyRatio)} | ${f(r.latencyRatioPruningOnly)} | ${f(r.latencyRatioRewritesOnly)} | ${f(r.cosine, 4)} | ${typeof r.taylorCosine === "number" ? f(r.taylorCosine, 4) : r.taylorCosine} | ${f(r.channelsMs / 1000, 1)} | ${f(r.magnitudeSizeRatio)} | ${f(r.magnitudeGzipRatio)} | ${f(r.magnitudeVsOriginalFile)} | ${r.magnitudeMaxAbsDiff.toExponential(1)} | ${f(r.magnitudeLatencyRatio)} | ${r.storage} |`,
    ),
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const only = readFlag("model")?.split(",");
  const runs = Number(readFlag("runs") ?? 20);
  const rows: TRow[] = [];
  for (const c of CASES) {
    if (only && !only.includes(c.model)) continue;
    rows.push(await benchModel(c, runs));
    console.error(`${c.model} done`);
  }
  const info = getRuntimeInfo();
  const table = formatTable(rows);
  const header = `Pruning benchmark — onnxruntime ${info.onnxruntimeVersion}, ${info.cpu} (${os.availableParallelism()} CPUs), ${info.intraOpThreads} intra-op threads, ${new Date().toISOString()}\n`;
  console.log(header);
  console.log(table);
  await mkdir(path.join(ROOT, "bench", "results"), { recursive: true });
  await writeFile(path.join(ROOT, "bench", "results", "pruning.md"), `${header}\n${table}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
