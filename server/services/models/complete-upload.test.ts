import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, expect, test } from "vitest";
import { getFixtureModel } from "../../../tests/fixtures/fetch-models";
import { hashAndInspect } from "./complete-upload";

async function* chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}

describe("hashAndInspect", () => {
  test("one pass gives the SHA-256 of every byte and the ONNX summary", async () => {
    const bytes = await readFile(await getFixtureModel("silero_vad_legacy"));
    const result = await hashAndInspect(chunked(bytes, 64 * 1024), bytes.byteLength);
    expect(result.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(result.sizeBytes).toBe(bytes.byteLength);
    expect(result.summary).toMatchObject({ irVersion: expect.any(Number), nodeCount: expect.any(Number) });
  });

  test("when the inspector stops reading early, the rest is still hashed", async () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
    const stopsAfterFirstChunk = async (source: AsyncIterable<Uint8Array>) => {
      for await (const _chunk of source) break;
      return { irVersion: 8 } as never;
    };
    const result = await hashAndInspect(chunked(bytes, 1000), bytes.byteLength, stopsAfterFirstChunk);
    expect(result.sizeBytes).toBe(bytes.byteLength);
    expect(result.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
  });

  test("a non-ONNX stream is refused with the inspector's message", async () => {
    const text = new TextEncoder().encode("hello, this is a text file and not a model at all\n".repeat(10));
    await expect(hashAndInspect(chunked(text, 16), text.byteLength)).rejects.toMatchObject({ code: "UNPROCESSABLE" });
  });
});
