/**
 * `condense run` end to end: the real CLI in a child process on a real fixture (PP-OCR direction classifier),
 * with user calibration data (a folder of .npy) and evaluation data with labels (.npz). No server involved.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRESETS } from "../../contracts/pipeline";
import { ZReport } from "../../contracts/report";
import { encodeNpy } from "../../worker/data/npy";
import { encodeNpz } from "../../worker/data/npz";
import { createInferenceSession } from "../../worker/runtime/ort";
import { getFixtureModel } from "../fixtures/fetch-models";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = path.join(ROOT, "bin", "condense.mjs");

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 170_000, env: { ...process.env, CONDENSE_DEBUG: "" } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Smooth, image-like values (the classifier sees text crops; noise would be an unfair test of int8). */
function createImages(n: number, seed: number): Float32Array {
  const hw = 48 * 192;
  const out = new Float32Array(n * 3 * hw);
  for (let i = 0; i < out.length; i++) {
    const s = Math.floor(i / (3 * hw));
    const p = i % hw;
    const y = Math.floor(p / 192);
    const x = p % 192;
    out[i] = Math.sin((x + seed * 7 + s * 13) / 9) * Math.cos((y + s) / 5) * 0.8;
  }
  return out;
}

let dir = "";
let modelPath = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "evaluate-run-"));
  modelPath = await getFixtureModel("ppocr_cls");
  await mkdir(path.join(dir, "calib"));
  await writeFile(path.join(dir, "calib", "x.npy"), encodeNpy({ dtype: "float32", dims: [8, 3, 48, 192], data: createImages(8, 1) }));
  await writeFile(
    path.join(dir, "eval.npz"),
    encodeNpz({
      x: { dtype: "float32", dims: [6, 3, 48, 192], data: createImages(6, 2) },
      labels: { dtype: "int64", dims: [6], data: new BigInt64Array([0n, 1n, 0n, 1n, 0n, 1n]) },
    }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("condense run (spawned CLI, real fixture)", () => {
  it("int8-static with user calibration and labelled eval data writes a loadable model and a valid report", async () => {
    const out = path.join(dir, "out", "cls.int8.onnx");
    const reportPath = path.join(dir, "out", "report.json");
    const r = await runCli([
      "run", modelPath, "--preset", "int8-static", "--calib", path.join(dir, "calib"), "--eval", path.join(dir, "eval.npz"),
      "-o", out, "--report", reportPath, "--sensitivity-layers", "3", "--batch-size", "4",
    ]);
    expect(r.stderr).not.toContain("condense:");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fidelity cosine \d\.\d{5}, SNR -?\d+\.\d dB/m);

    const report = ZReport.parse(JSON.parse(await readFile(reportPath, "utf8")));
    const original = await readFile(modelPath);
    const compressed = await readFile(out);
    expect(report.original.sizeBytes).toBe(original.byteLength);
    expect(report.compressed!.sizeBytes).toBe(compressed.byteLength);
    expect(compressed.byteLength / original.byteLength).toBeLessThan(0.6);
    expect(report.inputs).toEqual({ source: "user", description: expect.stringContaining("eval.npz (6 samples, batches of up to 4, with labels)") });
    expect((report as Record<string, unknown>).calibration).toEqual({ source: "user", description: expect.stringContaining("1 .npy file in calib (8 samples") });
    // The fidelity bound: int8 on this classifier must keep its softmax close (measured 0.986–0.9999 as the pass evolved).
    expect(report.fidelity!.cosine).toBeGreaterThanOrEqual(0.98);
    expect(report.fidelity!.samples).toBe(6);
    expect(report.fidelity!.outputs![0].top1Agreement).toBeGreaterThanOrEqual(5 / 6);
    expect(report.accuracy!.samples).toBe(6);
    expect(report.original.latencyMs!.p50).toBeGreaterThan(0);
    expect(report.compressed!.latencyMs!.p50).toBeGreaterThan(0);
    expect(report.sensitivity!.length).toBe(3);
    expect(report.sensitivity![0].snrDb).toBeLessThanOrEqual(report.sensitivity![2].snrDb);
    expect(report.compressed!.analysis!.opHistogram.QuantizeLinear).toBeGreaterThan(0);
    expect(report.warnings.some((w) => w.includes("generated inputs"))).toBe(false);

    // onnxruntime loads the written model and runs it.
    const session = await createInferenceSession(new Uint8Array(compressed), { intraOpThreads: 1 });
    try {
      const y = await session.run({ x: { type: "float32", dims: [1, 3, 48, 192], data: createImages(1, 3) } });
      const probs = Object.values(y)[0].data as Float32Array;
      expect(probs.length).toBe(2);
      expect(probs[0] + probs[1]).toBeCloseTo(1, 3);
    } finally {
      await session.release();
    }
  });

  it("refuses data that does not fit the model with one line naming the input (exit 1)", async () => {
    const bad = path.join(dir, "bad.npz");
    await writeFile(bad, encodeNpz({ x: { dtype: "float64", dims: [1, 3, 48, 192], data: new Float64Array(3 * 48 * 192) } }));
    const r = await runCli(["run", modelPath, "--preset", "int8-dynamic", "--eval", bad, "-o", path.join(dir, "never.onnx")]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      "condense: input 'x' (bad.npz): expected dtype float32, got float64 (convert it, e.g. x.astype(numpy.float32))",
    ]);
  });

  it("one-line errors for an unknown preset and a missing -o; --help lists the presets", async () => {
    const unknown = await runCli(["run", modelPath, "--preset", "int3", "-o", path.join(dir, "x.onnx")]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^condense: unknown preset "int3"/);
    const noOut = await runCli(["run", modelPath, "--preset", "int8-static"]);
    expect(noOut.code).toBe(1);
    expect(noOut.stderr.trim()).toBe("condense: give the output file with -o OUT.onnx");
    const help = await runCli(["run", "--help"]);
    expect(help.code).toBe(0);
    for (const p of PRESETS.values()) expect(help.stdout).toContain(`${p.name}`);
    expect(help.stdout).toContain([...PRESETS.values()][1].description);
  });
});
