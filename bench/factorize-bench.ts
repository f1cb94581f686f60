/**
 * `npx tsx bench/factorize-bench.ts`: the structure-level presets of the engine issue (#6) on the public fixtures,
 * plus the SVD the low-rank pass relies on.
 * - low-rank, cluster, max-compression, max-speed on ppocr_cls / ppocr_rec / ppocr_det: file size ratio, p50 latency
 *   of the original and the compressed model measured interleaved in the same child process (bench/bench-case.ts),
 *   output cosine on the fixture's bench inputs, engine time;
 * - randomized SVD of 4096×4096 (onnxruntime Gemm, float64) at realistic ranks, and its error against the exact SVD
 *   on small matrices.
 * Prints a markdown table and writes bench/results/factorize.md. Not a test: numbers depend on the machine and its load.
 * Flags: `--model ppocr_cls,ppocr_rec`, `--preset low-rank,cluster`, `--svd-ranks 256,512`, `--no-svd`, `--no-cases`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PRESETS } from "../contracts/pipeline";
import { computeExactSvd, computeRandomizedSvd, createRng } from "../worker/passes/factorize/svd";
import { computeRandomizedSvdFast } from "../worker/passes/factorize/svd-fast";
import { createMatrixMultiplier } from "../worker/passes/factorize/ort-matmul";
import { getRuntimeInfo } from "../worker/runtime/ort";
import type { TBenchCaseResult } from "./bench-case";
import { readListFlag } from "./bench-args";
import { runBenchCaseInChild } from "./bench-io";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const DEFAULT_MODELS = ["ppocr_cls", "ppocr_rec", "ppocr_det"];
const DEFAULT_PRESETS = ["low-rank", "cluster", "max-compression", "max-speed"];


const fmt = (x: number | undefined, digits: number) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits));

/** Matrix with singular values 0.97^j (a trained layer's typical decay), from smooth pseudo-random vectors. */
function buildDecayingMatrix(m: number, n: number): Float32Array {
  const a = new Float32Array(m * n);
  const rand = createRng(11);
  for (let j = 0; j < Math.min(m, n); j++) {
    const s = 0.97 ** j;
    const u = Float32Array.from({ length: m }, () => rand() - 0.5);
    const v = Float32Array.from({ length: n }, () => rand() - 0.5);
    for (let i = 0; i < m; i++) for (let k = 0; k < n; k++) a[i * n + k] += s * u[i] * v[k];
  }
  return a;
}

/** SVD timing at 4096² and accuracy against the exact SVD on a small matrix. */
async function measureSvd(ranks: number[]): Promise<string[]> {
  const lines: string[] = [];
  const mm = await createMatrixMultiplier();
  try {
    const n = 4096;
    const rand = createRng(5);
    const a = Float32Array.from({ length: n * n }, () => rand() - 0.5);
    for (const rank of ranks) {
      const t0 = performance.now();
      await computeRandomizedSvdFast(a, n, n, { rank, powerIterations: 2, seed: 0, multiplier: mm });
      const s = (performance.now() - t0) / 1000;
      lines.push(`| SVD 4096×4096, rank ${rank} (+10 oversampling, 2 power iterations), onnxruntime Gemm | ${s.toFixed(1)} s |`);
      process.stderr.write(`bench: SVD 4096² rank ${rank}: ${s.toFixed(1)} s\n`);
    }
    // Accuracy: 400×300 with a 0.97^j spectrum, rank 40, against the exact SVD.
    const [m, k, r] = [400, 300, 40];
    const b = buildDecayingMatrix(m, k);
    const exact = computeExactSvd(b, m, k);
    const fast = await computeRandomizedSvdFast(b, m, k, { rank: r, powerIterations: 2, seed: 1, multiplier: mm });
    const js = computeRandomizedSvd(b, m, k, { rank: r, powerIterations: 2, seed: 1 });
    let rel = 0;
    let vsJs = 0;
    for (let j = 0; j < r; j++) {
      rel = Math.max(rel, Math.abs(fast.s[j] - exact.s[j]) / exact.s[j]);
      vsJs = Math.max(vsJs, Math.abs(fast.s[j] - js.s[j]) / js.s[j]);
    }
    let err2 = 0;
    for (let i = 0; i < m; i++) {
      for (let c = 0; c < k; c++) {
        let v = 0;
        for (let j = 0; j < r; j++) v += fast.u[i * r + j] * fast.s[j] * fast.vt[j * k + c];
        err2 += (v - b[i * k + c]) ** 2;
      }
    }
    let optimal = 0;
    for (let j = r; j < exact.s.length; j++) optimal += exact.s[j] ** 2;
    lines.push(`| SVD accuracy, 400×300 (σ_j = 0.97^j), rank 40: max relative error of σ_1..σ_40 vs exact | ${rel.toExponential(2)} |`);
    lines.push(`| same: truncation error / optimal (Eckart–Young) | ${(Math.sqrt(err2) / Math.sqrt(optimal)).toFixed(4)} |`);
    lines.push(`| same: onnxruntime path vs plain-JS path (same sketch) | ${vsJs.toExponential(2)} |`);
  } finally {
    await mm.release();
  }
  return lines;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const models = readListFlag(argv, "model") ?? DEFAULT_MODELS;
  const presets = readListFlag(argv, "preset") ?? DEFAULT_PRESETS;
  for (const p of presets) if (!PRESETS.has(p)) throw new Error(`unknown preset ${p}; choose from ${[...PRESETS.keys()].join(", ")}`);
  const ranks = (readListFlag(argv, "svd-ranks") ?? ["256", "512"]).map(Number);

  const svdLines = argv.includes("--no-svd") ? [] : await measureSvd(ranks);
  const rows: TBenchCaseResult[] = [];
  if (!argv.includes("--no-cases")) {
    for (const model of models) {
      for (const preset of presets) {
        process.stderr.write(`bench: ${model} × ${preset} ... `);
        const t0 = Date.now();
        let r = await runBenchCaseInChild(model, preset);
        // Six sessions share this 2-core machine: a child killed for memory gets one more try (timeouts do not).
        if (!r.ok && !r.error?.startsWith("timed out")) r = await runBenchCaseInChild(model, preset);
        process.stderr.write(`${r.ok ? "ok" : `failed: ${r.error}`} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
        rows.push(r);
      }
    }
  }
  const info = getRuntimeInfo();
  const header = [
    `# Factorization and clustering bench (issue 6)`,
    ``,
    `${new Date().toISOString()} · ${info.cpu} · ${info.cpuCount} CPUs · load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} · onnxruntime ${info.onnxruntimeVersion} · ${info.intraOpThreads} intra-op threads · Node ${info.nodeVersion}`,
    ``,
    `Latency ratio = compressed p50 / original p50, both measured interleaved in the same process. Cosine = output`,
    `cosine against the original on the fixture's bench inputs (generated, text-like sizes): fidelity, not accuracy.`,
    ``,
  ].join("\n");
  const table = [
    "| model | preset | size ratio | latency ratio | p50 orig ms | p50 comp ms | cosine | engine s | notes |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map((r) =>
      r.ok
        ? `| ${r.model} | ${r.preset} | ${fmt(r.sizeRatio, 3)} | ${fmt(r.latencyRatio, 3)} | ${fmt(r.latencyOriginalP50Ms, 2)} | ${fmt(r.latencyCompressedP50Ms, 2)} | ${fmt(r.cosine, 4)} | ${fmt(r.engineMs === undefined ? undefined : r.engineMs / 1000, 1)} | ${(r.warnings ?? []).slice(0, 1).join("; ").replace(/\|/g, "/").slice(0, 120)} |`
        : `| ${r.model} | ${r.preset} | | | | | | | ${(r.error ?? "failed").replace(/\|/g, "/")} |`,
    ),
  ].join("\n");
  const svdTable = svdLines.length ? ["", "| SVD | value |", "|---|---|", ...svdLines].join("\n") : "";
  const out = `${header}${rows.length ? table : ""}\n${svdTable}\n`;
  process.stdout.write(out);
  await mkdir(path.join(ROOT, "bench", "results"), { recursive: true });
  await writeFile(path.join(ROOT, "bench", "results", "factorize.md"), out);
}

await main();
