import { describe, expect, it } from "vitest";
import { AppError } from "../../../contracts/app-error";
import { generateInputs } from "../../data/generate-inputs";
import { DTYPE, createTensor, readTensorAsFloat32, readTensorValues } from "../../onnx/dtypes";
import { getAttrInt } from "../../onnx/graph";
import type { TModelProto } from "../../onnx/onnx-proto";
import { createNodeProto, createAttribute } from "../../onnx/onnx-proto";
import { createChannelImportance } from "./channel-importance";
import {
  buildConcatModel,
  buildDepthwiseModel,
  buildFlattenGemmModel,
  buildGroupedConvModel,
  buildResidualModel,
  buildSeModel,
  buildSplitModel,
  createForcedImportance,
  maxAbsDiff,
  runModel,
  zeroInputChannels,
} from "./prune-graphs.test-helper";
import { balanceRoundedCounts, pruneChannels, roundKeptChannels } from "./prune-channels";
import { cloneModel } from "./prune-utils";

const P16 = [1, 3, 4, 6, 9, 10, 12, 15];

/** Zeros, in a grouped Conv's weight, the columns that read the given input channels (local to their Conv group). */
function zeroGroupedInputChannels(model: TModelProto, node: string, group: number, channels: readonly number[]): void {
  const g = model.graph!;
  const n = g.node.find((x) => x.name === node)!;
  const i = g.initializer.findIndex((t) => t.name === n.input[1]);
  const t = g.initializer[i];
  const values = readTensorAsFloat32(t);
  const [cout, cinG] = t.dims;
  const inner = t.dims.slice(2).reduce((a, b) => a * b, 1);
  for (let o = 0; o < cout; o++) {
    const j = Math.floor(o / (cout / group));
    for (let c = 0; c < cinG; c++) if (channels.includes(j * cinG + c)) values.fill(0, (o * cinG + c) * inner, (o * cinG + c + 1) * inner);
  }
  g.initializer[i] = createTensor(t.name!, DTYPE.FLOAT, t.dims, values);
}

function weightDims(model: TModelProto, node: string): number[] {
  const n = model.graph!.node.find((x) => x.name === node)!;
  return model.graph!.initializer.find((t) => t.name === n.input[1])!.dims;
}

/** Prunes with forced channels and compares to the original with those channels zeroed at their consumers. */
async function expectMatchesZeroedReference(
  model: TModelProto,
  forced: Record<string, number[]>,
  zero: [node: string, axis: number, channels: number[], inner?: number][],
) {
  const feeds = generateInputs(model, { seed: 3 });
  const result = await pruneChannels(model, { ratio: 0.5, roundTo: 8, importanceStrategy: createForcedImportance(forced), feeds });
  const reference = cloneModel(model);
  for (const [node, axis, channels, inner] of zero) zeroInputChannels(reference, node, axis, channels, inner);
  const got = await runModel(result.model, feeds);
  const want = await runModel(reference, feeds);
  const unpruned = await runModel(model, feeds);
  expect(got.length).toBe(want.length);
  expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
  // The reference really differs from the original, so the comparison can fail.
  expect(maxAbsDiff(unpruned, want)).toBeGreaterThan(1e-3);
  return result;
}

describe("prune-channels coupling patterns", () => {
  it("residual Add: both branches lose the same channels, BN and per-channel constants are sliced", async () => {
    const r = await expectMatchesZeroedReference(buildResidualModel(), { convA: P16 }, [
      ["convB", 1, P16],
      ["convC", 1, P16],
    ]);
    expect(weightDims(r.model, "convA")).toEqual([8, 4, 3, 3]);
    expect(weightDims(r.model, "convB")).toEqual([8, 8, 1, 1]);
    expect(weightDims(r.model, "convC")).toEqual([4, 8, 3, 3]);
    expect(r.report.layers).toEqual([{ node: "convA, convB", channelsBefore: 16, channelsAfter: 8 }]);
    expect(r.report.macs!.ratio).toBeLessThan(0.6);
  });

  it("Concat: each input group is pruned at its offset", async () => {
    const pb = [0, 2, 4, 6, 8, 10, 12, 14];
    const r = await expectMatchesZeroedReference(buildConcatModel(), { convA: P16, convB: pb }, [["convC", 1, [...P16, ...pb.map((c) => c + 16)]]]);
    expect(weightDims(r.model, "convC")).toEqual([4, 16, 3, 3]);
  });

  it("depthwise Conv: the channels pass through and the group count shrinks", async () => {
    const r = await expectMatchesZeroedReference(buildDepthwiseModel(), { convA: P16 }, [["convC", 1, P16]]);
    const dw = r.model.graph!.node.find((n) => n.name === "dw")!;
    expect(getAttrInt(dw, "group")).toBe(8);
    expect(weightDims(r.model, "dw")).toEqual([8, 1, 3, 3]);
  });

  it("grouped Conv: every Conv group keeps as many input and output channels; the group count stays", async () => {
    // P16 removes 2 channels from each block of 4, so each of the 4 Conv groups loses 2 inputs and 2 outputs.
    const model = buildGroupedConvModel();
    const feeds = generateInputs(model, { seed: 3 });
    const result = await pruneChannels(model, { ratio: 0.5, roundTo: 8, importanceStrategy: createForcedImportance({ convA: P16, convG: P16 }), feeds });
    const reference = cloneModel(model);
    zeroGroupedInputChannels(reference, "convG", 4, P16);
    zeroInputChannels(reference, "convC", 1, P16);
    const want = await runModel(reference, feeds);
    expect(maxAbsDiff(await runModel(result.model, feeds), want)).toBeLessThan(1e-4);
    expect(maxAbsDiff(await runModel(model, feeds), want)).toBeGreaterThan(1e-3);
    const g = result.model.graph!.node.find((n) => n.name === "convG")!;
    expect(getAttrInt(g, "group")).toBe(4);
    expect(weightDims(result.model, "convG")).toEqual([8, 2, 3, 3]);
    expect(weightDims(result.model, "convC")).toEqual([4, 8, 1, 1]);
  });

  it("grouped Conv: selection is balanced per Conv group even when the scores are not", async () => {
    // Forced: all of block 0 and 1 rank lowest; balance must still keep 2 of every 4 channels per block.
    const lowest = [0, 1, 2, 3, 4, 5, 6, 7];
    const r = await pruneChannels(buildGroupedConvModel(), { ratio: 0.5, roundTo: 8, importanceStrategy: createForcedImportance({ convA: lowest }) });
    expect(r.selection.kept.get(r.selection.kept.keys().next().value!)).toEqual([0, 1, 4, 5, 8, 9, 12, 13]);
    expect(roundKeptChannels(48, 30, 8, 3)).toBe(24);
    expect(roundKeptChannels(12, 8, 8, 4)).toBe(8);
  });

  it("squeeze-and-excitation: the excitation Conv is coupled to the block's channels", async () => {
    const r = await expectMatchesZeroedReference(buildSeModel(), { convA: P16 }, [
      ["convS1", 1, P16],
      ["convC", 1, P16],
    ]);
    expect(r.report.layers.find((l) => l.node.includes("convA"))!.node).toBe("convA, convS2");
    expect(weightDims(r.model, "convS2")).toEqual([8, 8, 1, 1]);
    expect(r.report.skipped.some((s) => s.node === "convS1" && s.reason.includes("only 8 channels"))).toBe(true);
  });

  it("Flatten into Gemm: features follow the flattened layout; Gemm neurons are pruned too", async () => {
    const r = await expectMatchesZeroedReference(buildFlattenGemmModel(), { convA: P16, fc1: [0, 1, 2, 3, 4, 5, 6, 7] }, [
      ["fc1", 1, P16, 16],
      ["fc2", 0, [0, 1, 2, 3, 4, 5, 6, 7]],
    ]);
    expect(weightDims(r.model, "fc1")).toEqual([8, 128]);
    expect(weightDims(r.model, "fc2")).toEqual([8, 10]);
    expect(r.report.skipped.find((s) => s.node === "fc2")!.reason).toContain('graph output "y"');
  });

  it("Split after Concat: each part keeps its group's channels and the split sizes shrink", async () => {
    const pb = [0, 2, 4, 6, 8, 10, 12, 14];
    const r = await expectMatchesZeroedReference(buildSplitModel(), { convA: P16, convB: pb }, [
      ["convC", 1, P16],
      ["convD", 1, pb],
    ]);
    const split = r.model.graph!.node.find((n) => n.name === "split")!;
    const sizes = r.model.graph!.initializer.find((t) => t.name === split.input[1])!;
    expect(Array.from(readTensorValues(sizes) as BigInt64Array, Number)).toEqual([8, 8]);
  });

  it("BN-scale importance removes the channels with the smallest |gamma|", async () => {
    const model = buildResidualModel();
    const gammaT = model.graph!.initializer.find((t) => t.name === "bn.scale")!;
    const gamma = Array.from({ length: 16 }, (_, c) => (P16.includes(c) ? 0.01 * (c + 1) : 1 + c));
    model.graph!.initializer[model.graph!.initializer.indexOf(gammaT)] = createTensor("bn.scale", DTYPE.FLOAT, [16], gamma);
    const feeds = generateInputs(model, { seed: 4 });
    const r = await pruneChannels(model, { ratio: 0.5, importance: "bn-scale", feeds });
    const reference = cloneModel(model);
    zeroInputChannels(reference, "convB", 1, P16);
    zeroInputChannels(reference, "convC", 1, P16);
    expect(maxAbsDiff(await runModel(r.model, feeds), await runModel(reference, feeds))).toBeLessThan(1e-4);
    expect(r.report.settings!.importance).toBe("bn-scale");
  });

  it("nodesToExclude keeps a producer's channels and says why", async () => {
    const r = await pruneChannels(buildDepthwiseModel(), { ratio: 0.5, nodesToExclude: ["convA"] });
    expect(r.report.skipped[0]).toEqual({ node: "convA", reason: 'Conv "convA" is excluded by the options' });
    expect(weightDims(r.model, "convA")).toEqual([16, 4, 1, 1]);
  });

  it("L1 importance keeps the rows with the largest L1 norms, in order", async () => {
    const model = buildConcatModel();
    const w = model.graph!.initializer.find((t) => t.name === "convA.w")!;
    const values = readTensorAsFloat32(w);
    const rowLen = 4 * 3 * 3;
    const norms = Array.from({ length: 16 }, (_, c) => values.subarray(c * rowLen, (c + 1) * rowLen).reduce((a, v) => a + Math.abs(v), 0));
    const expectedRows = Array.from(norms.keys()).sort((a, b) => norms[b] - norms[a]).slice(0, 8).sort((a, b) => a - b);
    const r = await pruneChannels(model, { ratio: 0.5, importance: "l1" });
    const pruned = readTensorAsFloat32(r.model.graph!.initializer.find((t) => t.name === r.model.graph!.node.find((n) => n.name === "convA")!.input[1])!);
    expect(Array.from(pruned)).toEqual(expectedRows.flatMap((c) => Array.from(values.subarray(c * rowLen, (c + 1) * rowLen))));
    const out = await runModel(r.model, generateInputs(model));
    expect(out.length).toBe(1 * 4 * 8 * 8);
    expect(r.report.settings!.importance).toBe("l1");
  });
});

describe("prune-channels safety", () => {
  it("blocks a group read by an op it does not understand and names it", async () => {
    const model = buildResidualModel();
    // A Softmax over channels in front of convC: the group cannot be pruned.
    const g = model.graph!;
    const convC = g.node.find((n) => n.name === "convC")!;
    g.node.splice(g.node.indexOf(convC), 0, createNodeProto("Softmax", ["mul.out"], ["sm"], { name: "sm", attribute: [createAttribute("axis", 1, { asInt: true })] }));
    convC.input[0] = "sm";
    const r = await pruneChannels(model, { ratio: 0.5 });
    expect(r.report.layers).toEqual([]);
    expect(r.report.skipped[0].reason).toContain('Softmax "sm"');
    expect(r.warnings.join(" ")).toContain("no channel group could be pruned");
    expect(weightDims(r.model, "convA")).toEqual([16, 4, 3, 3]);
  });

  it("layer scope: rounding is balanced so that at least the ratio of all channels goes (MobileNetV3-like widths)", () => {
    const widths = [24, 32, 32, 88, 40, 48, 104, 200, 200];
    const groups = widths.map((size, id) => ({ id, size, blocks: 1 }));
    const opts = { ratio: 0.3, roundTo: 8, maxGroupRatio: 0.8 };
    const nearest = widths.map((w) => roundKeptChannels(w, w * 0.7, 8));
    const total = widths.reduce((a, b) => a + b, 0);
    const removed = (kept: number[]) => total - kept.reduce((a, b) => a + b, 0);
    // Rounding each group to the nearest multiple of 8 removes less than 30% here...
    expect(removed(nearest)).toBeLessThan(0.3 * total);
    const balanced = balanceRoundedCounts(groups, opts);
    const kept = widths.map((_, id) => balanced.get(id)!);
    // ...the balanced counts remove at least 30%, stay multiples of 8, and only step groups down from nearest.
    expect(removed(kept)).toBeGreaterThanOrEqual(Math.floor(0.3 * total));
    expect(removed(kept)).toBeLessThan(0.3 * total + 8);
    kept.forEach((k, i) => {
      expect(k % 8).toBe(0);
      expect(k).toBeLessThanOrEqual(nearest[i]);
      expect(nearest[i] - k).toBeLessThanOrEqual(8);
    });
  });

  it("rounds kept channels to the multiple, never below it or above the original", () => {
    expect(roundKeptChannels(16, 11.2, 8)).toBe(8);
    expect(roundKeptChannels(200, 140, 8)).toBe(144);
    expect(roundKeptChannels(40, 2, 8)).toBe(8);
    expect(roundKeptChannels(6, 1, 8)).toBe(6);
    expect(roundKeptChannels(32, 31.9, 8)).toBe(32);
  });

  it("the Taylor criterion cannot be created without saliency from a calibration run", () => {
    expect(() => createChannelImportance("taylor")).toThrow(AppError);
    expect(() => createChannelImportance("taylor")).toThrow(/needs saliency/);
  });

  it("global scope reaches a MACs target", async () => {
    const model = buildResidualModel();
    const r = await pruneChannels(model, { scope: "global", targetMacsRatio: 0.7, roundTo: 4 });
    expect(r.report.macs!.ratio).toBeLessThanOrEqual(0.7);
    expect(r.report.macs!.ratio).toBeGreaterThan(0.1);
  });
});
