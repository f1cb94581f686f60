import { describe, expect, it } from "vitest";
import { createEmptyGraphProto, createTensorValueInfo, type TModelProto } from "../../onnx/onnx-proto";
import type { TRuntimeTensor } from "../../runtime/ort";
import { runInt8Static } from "./int8-static";
import { createFloatTensor, createNodeProto, DTYPE } from "./onnx-helpers";
import { computeCosine, createRandom, createRandomFeeds, runModel } from "./testing/build-models";

/**
 * x[8,64] → MatMul(W1) → MatMul(W2) → Mul(one channel × 1000) → MatMul(W3, that row ÷ 1000) → y.
 * The last MatMul's input has one huge channel: a per-tensor uint8 range spends all levels on it and crushes the
 * other 63, so that layer (the last, not the first) is the one to keep in float.
 */
function buildOutlierMlp(): TModelProto {
  const rng = createRandom(9);
  const w = (n: number, std: number) => Float32Array.from({ length: n }, () => rng.normal() * std);
  const boost = new Float32Array(64).fill(1);
  boost[5] = 1000;
  const w3 = w(64 * 16, 0.125);
  for (let j = 0; j < 16; j++) w3[5 * 16 + j] /= 1000;
  const g = createEmptyGraphProto("outlier-mlp");
  g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, [8, 64]));
  g.output.push(createTensorValueInfo("y", DTYPE.FLOAT, [8, 16]));
  g.initializer.push(createFloatTensor("w1", [64, 64], w(64 * 64, 0.125)), createFloatTensor("w2", [64, 64], w(64 * 64, 0.125)));
  g.initializer.push(createFloatTensor("boost", [64], boost), createFloatTensor("w3", [64, 16], w3));
  g.node.push(
    createNodeProto("MatMul", ["x", "w1"], ["h1"], { name: "first" }),
    createNodeProto("MatMul", ["h1", "w2"], ["h2"], { name: "second" }),
    createNodeProto("Mul", ["h2", "boost"], ["h3"], { name: "boost" }),
    createNodeProto("MatMul", ["h3", "w3"], ["y"], { name: "last" }),
  );
  return { irVersion: 8, opsetImport: [{ domain: "", version: 17 }], producerName: "condense-tests", graph: g, metadataProps: [], trainingInfo: [], functions: [] };
}

async function* calibration(): AsyncIterable<Record<string, TRuntimeTensor>> {
  for (let i = 0; i < 4; i++) yield createRandomFeeds("x", [8, 64], 30 + i);
}

describe("int8-static mixed precision from per-layer sensitivity", () => {
  it("keeps the sensitive last layer in float (not the stem) and reaches the fidelity target", async () => {
    const model = buildOutlierMlp();
    const options = { opTypesToQuantize: ["MatMul"], fidelityTarget: 0.999 };
    const full = await runInt8Static(model, { calibration: calibration(), ...options, fidelityTarget: 0 });
    const mixed = await runInt8Static(model, { calibration: calibration(), ...options });
    expect(full.stats.quantizedNodes.sort()).toEqual(["first", "last", "second"]);
    expect(mixed.stats.quantizedNodes.sort()).toEqual(["first", "second"]);
    expect(mixed.warnings.join("\n")).toMatch(/kept the 1 most sensitive layers \(last\) in float/);
    const feeds = createRandomFeeds("x", [8, 64], 99);
    const ref = (await runModel(model, feeds)).y.data as Float32Array;
    const cosFull = computeCosine(ref, (await runModel(full.model, feeds)).y.data as Float32Array);
    const cosMixed = computeCosine(ref, (await runModel(mixed.model, feeds)).y.data as Float32Array);
    // Fully quantized, the output collapses (all zeros: cosine undefined) or at least misses the target.
    expect(Number.isNaN(cosFull) || cosFull < 0.999).toBe(true);
    expect(cosMixed).toBeGreaterThan(0.999);
  });

  it("the leading fallback keeps the stem instead, and says it missed the target", async () => {
    const r = await runInt8Static(buildOutlierMlp(), { calibration: calibration(), opTypesToQuantize: ["MatMul"], fidelityTarget: 0.999, fidelityFallback: "leading" });
    expect(r.stats.quantizedNodes).toContain("last");
    expect(r.warnings.join("\n")).toMatch(/kept the first 1 layers in float/);
    expect(r.warnings.join("\n")).toMatch(/below the target 0.999/);
  });
});
