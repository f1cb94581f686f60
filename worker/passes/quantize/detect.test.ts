import { describe, expect, it } from "vitest";
import { detectQuantization, assertFloatModel } from "./detect";
import { convertToFp16 } from "../fp16/convert-fp16";
import { quantizeInt8Dynamic } from "./int8-dynamic";
import { quantizeInt4Weights } from "./int4-weight";
import { buildConvNet, buildMlpBlock } from "./testing/build-models";

describe("detectQuantization", () => {
  it("classifies float32, float16, int8 and int4 models", async () => {
    expect(detectQuantization(buildMlpBlock()).kind).toBe("float32");
    expect(detectQuantization(convertToFp16(buildConvNet())).kind).toBe("float16");
    const int8 = detectQuantization(quantizeInt8Dynamic(buildMlpBlock()));
    expect(int8.kind).toBe("int8");
    expect(int8.reason).toMatch(/DynamicQuantizeMatMul/);
    const int4 = detectQuantization(await quantizeInt4Weights(buildMlpBlock()));
    expect(int4.kind).toBe("int4");
    expect(int4.reason).toMatch(/MatMulNBits/);
  });
  it("refuses with a user-facing reason", () => {
    const fp16 = convertToFp16(buildConvNet());
    expect(() => assertFloatModel(fp16, "int8-static")).toThrow(/already float16/);
    let err: unknown;
    try {
      quantizeInt8Dynamic(fp16);
    } catch (e) {
      err = e;
    }
    expect((err as { userMessage: string }).userMessage).toMatch(/already float16 .* upload the original float32 model/);
  });
});
