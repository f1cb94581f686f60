import { describe, expect, it } from "vitest";
import { readAsFloat64 } from "../data/host-tensor";
import { adaptFeedsToInputs } from "./run-feeds";

describe("adaptFeedsToInputs", () => {
  it("converts float32 feeds to a float16 input and leaves matching or non-float ones alone", () => {
    const feeds = {
      a: { dtype: "float32" as const, dims: [3], data: new Float32Array([1, -2.5, 65504]) },
      b: { dtype: "int64" as const, dims: [1], data: new BigInt64Array([3n]) },
    };
    const out = adaptFeedsToInputs(feeds, [
      { name: "a", elemType: "float16" },
      { name: "b", elemType: "int32" },
    ]);
    expect(out.a.dtype).toBe("float16");
    expect(Array.from(readAsFloat64(out.a))).toEqual([1, -2.5, 65504]);
    expect(out.b).toBe(feeds.b);
    expect(adaptFeedsToInputs(feeds, [{ name: "a", elemType: "float32" }]).a).toBe(feeds.a);
  });
});
