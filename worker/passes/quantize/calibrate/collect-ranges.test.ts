import { describe, expect, it } from "vitest";
import { buildMlpBlock, createRandomFeeds } from "../testing/build-models";
import { collectActivationRanges } from "./collect-ranges";

describe("collectActivationRanges", () => {
  it("chunked calibration gives the same ranges as one run fetching everything", async () => {
    const model = buildMlpBlock();
    const names = model.graph!.node.map((n) => n.output[0]);
    const batches = [createRandomFeeds("x", [2, 16, 64], 5), createRandomFeeds("x", [2, 16, 64], 6)];
    const source = {
      source: "generated" as const,
      description: "test",
      sampleCount: 2,
      hasLabels: false,
      batches: () => ({
        async *[Symbol.asyncIterator]() {
          for (const f of batches) yield { sampleCount: 2, feeds: { x: { dtype: "float32" as const, dims: [...f.x.dims], data: f.x.data as Float32Array } } };
        },
      }),
    };
    const all = await collectActivationRanges(model, names, source, { method: "minmax" });
    const chunked = await collectActivationRanges(model, names, source, { method: "minmax", maxTensorsPerRun: 2 });
    expect([...chunked.ranges]).toEqual([...all.ranges]);
    expect(all.ranges.size).toBe(names.length);
  });
});
