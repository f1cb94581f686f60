import { describe, expect, it } from "vitest";
import { generateInputs } from "../../data/generate-inputs";
import { DTYPE, createTensor, readTensorAsFloat32 } from "../../onnx/dtypes";
import type { TModelProto } from "../../onnx/onnx-proto";
import { buildClassifierModel, buildFlattenGemmModel, maxAbsDiff, runModel, zeroInputChannels } from "./prune-graphs.test-helper";
import { pruneChannels } from "./prune-channels";
import { cloneModel } from "./prune-utils";

const DEAD = [0, 2, 5, 7, 8, 11, 13, 14];

function setInitializer(model: TModelProto, name: string, values: Float32Array): void {
  const g = model.graph!;
  const i = g.initializer.findIndex((t) => t.name === name);
  g.initializer[i] = createTensor(name, DTYPE.FLOAT, g.initializer[i].dims, values);
}

function weightOf(model: TModelProto, node: string): Float32Array {
  const n = model.graph!.node.find((x) => x.name === node)!;
  return readTensorAsFloat32(model.graph!.initializer.find((t) => t.name === n.input[1])!);
}

/** Cross-entropy of the softmax output `y` against the original model's own argmax (the Taylor loss). */
function pseudoLabelLoss(probs: Float32Array, reference: Float32Array, classes: number): number {
  let loss = 0;
  const rows = probs.length / classes;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (reference[r * classes + c] > reference[r * classes + best]) best = c;
    loss -= Math.log(Math.max(1e-30, probs[r * classes + best]));
  }
  return loss / rows;
}

describe("Taylor importance", () => {
  it("removes the channels whose removal does not change the loss, where L1 keeps them", async () => {
    const model = buildClassifierModel();
    // Channels in DEAD get the largest convA weights (L1 ranks them first) but convC never reads them.
    const wa = weightOf(model, "convA");
    const perChannel = wa.length / 16;
    for (const c of DEAD) for (let i = 0; i < perChannel; i++) wa[c * perChannel + i] *= 4;
    setInitializer(model, "convA.w", wa);
    zeroInputChannels(model, "convC", 1, DEAD);
    const feeds = generateInputs(model, { seed: 5 });
    const calibration = [0, 1, 2].map((seed) => generateInputs(model, { seed: 10 + seed }));

    const taylor = await pruneChannels(model, { ratio: 0.5, roundTo: 8, importance: "taylor", feeds, calibration });
    const l1 = await pruneChannels(model, { ratio: 0.5, roundTo: 8, importance: "l1", feeds });
    const keptTaylor = taylor.selection.kept.values().next().value!;
    const keptL1 = l1.selection.kept.values().next().value!;
    expect(keptTaylor).toEqual(Array.from({ length: 16 }, (_, c) => c).filter((c) => !DEAD.includes(c)));
    expect(keptL1).toEqual(DEAD);
    // Removing dead channels leaves the outputs as they were; L1's choice changes them.
    const original = await runModel(model, feeds);
    expect(maxAbsDiff(await runModel(taylor.model, feeds), original)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await runModel(l1.model, feeds), original)).toBeGreaterThan(1e-3);
    expect(taylor.report.settings).toMatchObject({ importance: "taylor", taylorLoss: "y: pseudo-label-cross-entropy", taylorBatches: 3, calibration: "given" });
    expect(taylor.warnings).toEqual([]);
  });

  it("removes the channels whose single removal changes the loss least, better than L1", async () => {
    const model = buildClassifierModel();
    const feeds = generateInputs(model, { seed: 7 });
    const reference = await runModel(model, feeds);
    const base = pseudoLabelLoss(reference, reference, 3);
    // The real loss change of removing each channel alone (its input slices in convC zeroed).
    const delta: number[] = [];
    for (let c = 0; c < 16; c++) {
      const m = cloneModel(model);
      zeroInputChannels(m, "convC", 1, [c]);
      delta.push(Math.abs(pseudoLabelLoss(await runModel(m, feeds), reference, 3) - base));
    }
    const removedBy = async (importance: "taylor" | "l1") => {
      const r = await pruneChannels(model, { ratio: 0.5, roundTo: 8, importance, feeds, calibration: [feeds] });
      const kept = new Set(r.selection.kept.values().next().value!);
      return [...Array(16).keys()].filter((c) => !kept.has(c));
    };
    const taylor = await removedBy("taylor");
    const l1 = await removedBy("l1");
    const cost = (removed: number[]) => removed.reduce((a, c) => a + delta[c], 0);
    const cheapest = [...Array(16).keys()].sort((a, b) => delta[a] - delta[b]);
    // The channel whose removal changes the loss least goes, and so do most of the 8 cheapest.
    expect(taylor).toContain(cheapest[0]);
    expect(taylor.filter((c) => cheapest.slice(0, 8).includes(c)).length).toBeGreaterThanOrEqual(6);
    expect(cost(taylor)).toBeLessThan(0.8 * cost(l1));
  });

  it("falls back to L1 with a warning when an op on the gradient path has no rule", async () => {
    const model = buildFlattenGemmModel();
    // Softplus has no gradient rule: Taylor cannot be computed through it.
    const g = model.graph!;
    const relu = g.node.find((n) => n.name === "reluF")!;
    relu.opType = "Softplus";
    const r = await pruneChannels(model, { ratio: 0.5, importance: "taylor", feeds: generateInputs(model, { seed: 1 }) });
    expect(r.warnings.join(" ")).toMatch(/Taylor importance needs gradients.*Softplus.*ranked channels by L1 norm instead/);
    expect(r.report.settings).toMatchObject({ importance: "l1", importanceFallback: "l1" });
    expect(r.report.layers.length).toBeGreaterThan(0);
  });
});
