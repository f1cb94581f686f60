import { describe, expect, it } from "vitest";
import { buildFlattenGemmModel, buildDepthwiseModel } from "../passes/prune/prune-graphs.test-helper";
import { countMacs, observeValueShapes } from "./count-macs";

describe("countMacs", () => {
  it("counts Conv, depthwise Conv and elementwise MACs from observed shapes", async () => {
    // x[1,4,8,8] → Conv 1x1 4→16 (+bias) → depthwise 3x3 (16) → Relu → Conv 1x1 16→4
    const r = await countMacs(buildDepthwiseModel());
    const hw = 8 * 8;
    expect(r.macsByNode).toEqual({ convA: 16 * hw * 4, dw: 16 * hw * 9, relu: 16 * hw, convC: 4 * hw * 16 });
    expect(r.macs).toBe(16 * hw * 4 + 16 * hw * 9 + 16 * hw + 4 * hw * 16);
    expect(r.params).toBe(16 * 4 + 16 + 16 * 9 + 16 + 4 * 16);
    expect(r.inputShapes).toEqual({ x: [1, 4, 8, 8] });
  });

  it("counts Gemm MACs and observes shapes through Flatten", async () => {
    const model = buildFlattenGemmModel();
    const { shapes } = await observeValueShapes(model);
    expect(shapes.get("flatten.out")).toEqual([1, 256]);
    const r = await countMacs(model, { shapes });
    expect(r.macsByOpType.Gemm).toBe(256 * 16 + 16 * 10);
    expect(r.macsByOpType.Conv).toBe(16 * 16 * 4 * 9);
  });
});
