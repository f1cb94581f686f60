import { describe, expect, it } from "vitest";
import { addPendingUploadPart, findPendingUpload, forgetPendingUpload, listPendingUploads, rememberPendingUpload } from "./pending-uploads";

function createMemoryStore() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), data };
}

describe("pending uploads", () => {
  it("remembers an upload with its parts and finds it only for the same file", () => {
    const store = createMemoryStore();
    rememberPendingUpload({ modelId: "m1", fileName: "a.onnx", sizeBytes: 10, lastModified: 5, parts: [], startedAtMs: Date.now() }, store);
    addPendingUploadPart("m1", { partNumber: 2, etag: '"e2"' }, store);
    addPendingUploadPart("m1", { partNumber: 1, etag: '"e1"' }, store);
    addPendingUploadPart("m1", { partNumber: 2, etag: '"e2b"' }, store);
    expect(findPendingUpload({ name: "a.onnx", size: 10, lastModified: 5 }, store)?.parts).toEqual([
      { partNumber: 1, etag: '"e1"' },
      { partNumber: 2, etag: '"e2b"' },
    ]);
    expect(findPendingUpload({ name: "a.onnx", size: 11, lastModified: 5 }, store)).toBeUndefined();
    expect(findPendingUpload({ name: "a.onnx", size: 10, lastModified: 6 }, store)).toBeUndefined();
    forgetPendingUpload("m1", store);
    expect(listPendingUploads(store)).toEqual([]);
  });

  it("drops expired entries and survives corrupt storage", () => {
    const store = createMemoryStore();
    rememberPendingUpload({ modelId: "old", fileName: "a", sizeBytes: 1, lastModified: 1, parts: [], startedAtMs: Date.now() - 8 * 24 * 3600_000 }, store);
    expect(listPendingUploads(store)).toEqual([]);
    store.setItem("condense.pendingUploads.v1", "{not json");
    expect(listPendingUploads(store)).toEqual([]);
  });
});
