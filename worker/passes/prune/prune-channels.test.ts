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
  buildResidualModel,
  buildSeModel,
  buildSplitModel,
  createForcedImportance,
  maxAbsDiff,
  runModel,
  zeroInputChannels,
} from "./prune-graphs.test-helper";
import { pruneChannels, roundKeptChannels } from "./prune-channels";
import { cloneModel } from "./prune-utils";

const P16 = [1, 3, 4, 6, 9, 10, 12, 15];

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

  it("rounds kept channels to the multiple, never below it or above the original", () => {
    expect(roundKeptChannels(16, 11.2, 8)).toBe(8);
    expect(roundKeptChannels(200, 140, 8)).toBe(144);
    expect(roundKeptChannels(40, 2, 8)).toBe(8);
    expect(roundKeptChannels(6, 1, 8)).toBe(6);
    expect(roundKeptChannels(32, 31.9, 8)).toBe(32);
  });

  it("Taylor importance says it is not available yet", () => {
    expect(() => createChannelImportance("taylor")).toThrow(AppError);
    expect(() => createChannelImportance("taylor")).toThrow(/not available yet/);
  });

  it("global scope reaches a MACs target", async () => {
    const model = buildResidualModel();
    const r = await pruneChannels(model, { scope: "global", targetMacsRatio: 0.7, roundTo: 4 });
    expect(r.report.macs!.ratio).toBeLessThanOrEqual(0.7);
    expect(r.report.macs!.ratio).toBeGreaterThan(0.1);
  });
});
