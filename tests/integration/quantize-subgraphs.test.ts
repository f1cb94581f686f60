/**
 * int8-static on silero VAD v5/v6, whose weights all live in Constant nodes inside the If branches (one branch per
 * sample rate). Calibration reaches the branch values through extra outputs; the Convs inside both branches get
 * QDQ. Bounds: the file shrinks clearly, the speech probability stays within 0.05 of float, the state close.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel } from "../../worker/onnx/model-io";
import { createInferenceSession, type TRuntimeTensor } from "../../worker/runtime/ort";
import { runInt8Static } from "../../worker/passes/quantize";
import { computeCosine } from "../../worker/passes/quantize/testing/build-models";
import { forEachGraph } from "../../worker/passes/quantize/onnx-helpers";
import { getFixtureModel } from "../fixtures/fetch-models";

/** One chunk of synthetic speech-band audio: 512 samples at 16 kHz, 256 at 8 kHz (silero's chunk sizes). */
function createChunk(seed: number, sampleRate: 8000 | 16000): Record<string, TRuntimeTensor> {
  const length = sampleRate === 16000 ? 512 : 256;
  // Tones from 100 Hz to 2 kHz at several loudness levels plus a little hum, so calibration (seeds 0-15) covers
  // what the evaluation chunks (other seeds) contain.
  const frequencyHz = 100 + ((seed * 397) % 1900);
  const amplitude = 0.1 + 0.4 * (((seed * 7) % 10) / 10);
  const audio = Float32Array.from({ length }, (_, t) => amplitude * Math.sin((2 * Math.PI * frequencyHz * t) / sampleRate) + 0.05 * Math.sin(t * 1.7 + seed));
  return {
    input: { type: "float32", dims: [1, length], data: audio },
    state: { type: "float32", dims: [2, 1, 128], data: new Float32Array(256) },
    sr: { type: "int64", dims: [], data: BigInt64Array.of(BigInt(sampleRate)) },
  };
}

async function* calibrationChunks(): AsyncIterable<Record<string, TRuntimeTensor>> {
  // Both sample rates, so both If branches are calibrated.
  for (let i = 0; i < 16; i++) yield createChunk(i, i % 2 === 0 ? 16000 : 8000);
}

describe.each(["silero_vad_v5", "silero_vad_v6"] as const)("int8-static inside the If branches of %s", (name) => {
  it("quantizes the Convs of both branches: smaller file, probability and state close to float", async () => {
    const bytes = new Uint8Array(await readFile(await getFixtureModel(name)));
    const model = decodeModel(bytes);
    const res = await runInt8Static(model, { calibration: calibrationChunks() });
    // 6 Convs per branch (STFT, 4 encoder, decoder); the fidelity check keeps the most sensitive few in float.
    expect(res.stats.quantizedNodes.length).toBeGreaterThanOrEqual(8);
    expect(res.stats.quantizedNodes.some((n) => n.startsWith("If_0_then_branch"))).toBe(true);
    expect(res.stats.quantizedNodes.some((n) => n.startsWith("If_0_else_branch"))).toBe(true);
    // The Q/DQ nodes sit inside the branches (the main graph only holds the If).
    let qdqInBodies = 0;
    forEachGraph(res.model.graph!, (g, depth) => {
      if (depth > 0) qdqInBodies += g.node.filter((n) => n.opType === "QuantizeLinear").length;
    });
    expect(qdqInBodies).toBeGreaterThanOrEqual(8);
    const out = encodeModel(res.model);
    expect(out.byteLength / bytes.byteLength).toBeLessThan(0.82); // float: 0.99 (the If itself, LSTMs stay float)

    const a = await createInferenceSession(bytes, { intraOpThreads: 1 });
    const b = await createInferenceSession(out, { intraOpThreads: 1 });
    try {
      for (const sampleRate of [16000, 8000] as const) {
        for (const seed of [101, 102, 103, 104]) {
          const feeds = createChunk(seed, sampleRate);
          const ra = await a.run(feeds);
          const rb = await b.run(feeds);
          const pa = (ra.output.data as Float32Array)[0];
          const pb = (rb.output.data as Float32Array)[0];
          expect(Math.abs(pa - pb)).toBeLessThan(0.05);
          // The recurrent state drifts more than the probability, most on 8 kHz chunks (256 samples: the
          // smallest activations); measured worst 0.73 (v6) / 0.81 (v5). fidelityTarget 0.999 lifts it to 0.97.
          expect(computeCosine(ra.stateN.data as Float32Array, rb.stateN.data as Float32Array)).toBeGreaterThan(0.65);
        }
      }
    } finally {
      await a.release();
      await b.release();
    }
  });
});
