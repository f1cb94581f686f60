import { describe, expect, it } from "vitest";
import { uploadModelFile, UploadError, type TPutPart, type TUploadApi, type TUploadProgress } from "./upload-model";

/**
 * An in-memory stand-in for the storage side (the real path is covered by the Playwright suite against s3rver):
 * it records part bodies so the test can check the reassembled bytes, and can fail chosen PUTs.
 */
function createFakeStorage(opts: { partBytes: number; failPuts?: Map<number, number>; completeError?: string }) {
  const stored = new Map<number, Uint8Array>();
  const signCalls: number[][] = [];
  let completed: Array<{ partNumber: number; etag: string }> | undefined;
  let sizeBytes = 0;
  const failPuts = opts.failPuts ?? new Map<number, number>();
  const api: TUploadApi = {
    createUpload: async (input) => {
      sizeBytes = input.sizeBytes;
      return { modelId: "m1", partBytes: opts.partBytes, partCount: Math.max(1, Math.ceil(input.sizeBytes / opts.partBytes)) };
    },
    signUploadParts: async ({ partNumbers }) => {
      signCalls.push(partNumbers);
      return partNumbers.map((partNumber) => ({ partNumber, url: `https://s3.test/part/${partNumber}?sig=${signCalls.length}` }));
    },
    completeUpload: async ({ parts }) => {
      if (opts.completeError) throw new Error(opts.completeError);
      completed = parts;
      return { id: "m1" };
    },
  };
  const putPart: TPutPart = async (url, body, onProgress) => {
    const partNumber = Number(/part\/(\d+)/.exec(url)![1]);
    const failuresLeft = failPuts.get(partNumber) ?? 0;
    if (failuresLeft > 0) {
      failPuts.set(partNumber, failuresLeft - 1);
      onProgress(Math.floor(body.size / 2));
      throw new Error("connection reset");
    }
    const bytes = new Uint8Array(await body.arrayBuffer());
    onProgress(bytes.byteLength);
    stored.set(partNumber, bytes);
    return `"etag-${partNumber}"`;
  };
  const assembled = () => {
    const out = new Uint8Array(sizeBytes);
    let offset = 0;
    for (const p of completed ?? []) {
      const chunk = stored.get(p.partNumber)!;
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out.subarray(0, offset);
  };
  return { api, putPart, signCalls, assembled, get completed() { return completed; } };
}

function createFile(sizeBytes: number): Blob & { name: string } {
  const bytes = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return Object.assign(new Blob([bytes]), { name: "model.onnx" });
}

describe("uploadModelFile", () => {
  it("sends every part once, in order, and the parts reassemble to the file", async () => {
    const file = createFile(10_500);
    const storage = createFakeStorage({ partBytes: 1000 });
    const progress: TUploadProgress[] = [];
    const result = await uploadModelFile(file, { api: storage.api, putPart: storage.putPart, concurrency: 3, onProgress: (p) => progress.push(p) });

    expect(result.modelId).toBe("m1");
    expect(storage.completed!.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(storage.completed![10].etag).toBe('"etag-11"');
    expect(Buffer.from(storage.assembled()).equals(Buffer.from(await file.arrayBuffer()))).toBe(true);
    // Signed in batches rather than one request per part.
    expect(storage.signCalls.length).toBe(2);
    const last = progress.at(-1)!;
    expect(last.phase).toBe("done");
    expect(last.sentBytes).toBe(10_500);
    expect(progress.some((p) => p.phase === "validating")).toBe(true);
    expect(progress.every((p) => p.sentBytes <= p.totalBytes)).toBe(true);
  });

  it("retries a failed part with a freshly signed URL and does not double-count its bytes", async () => {
    const file = createFile(3000);
    const storage = createFakeStorage({ partBytes: 1000, failPuts: new Map([[2, 2]]) });
    const progress: TUploadProgress[] = [];
    await uploadModelFile(file, { api: storage.api, putPart: storage.putPart, retryDelayMs: 1, onProgress: (p) => progress.push(p) });

    expect(Buffer.from(storage.assembled()).equals(Buffer.from(await file.arrayBuffer()))).toBe(true);
    expect(storage.signCalls.filter((c) => c.length === 1 && c[0] === 2).length).toBe(2);
    expect(progress.at(-1)!.retriedParts).toBe(2);
    expect(Math.max(...progress.map((p) => p.sentBytes))).toBe(3000);
  });

  it("gives up after 3 retries with a message naming the part", async () => {
    const file = createFile(2500);
    const storage = createFakeStorage({ partBytes: 1000, failPuts: new Map([[3, 99]]) });
    const err = await uploadModelFile(file, { api: storage.api, putPart: storage.putPart, retryDelayMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect((err as UploadError).message).toMatch(/^part 3 of 3 failed after 4 attempts: connection reset/);
    expect(storage.completed).toBeUndefined();
  });

  it("surfaces the server's validation message from completeUpload", async () => {
    const file = createFile(100);
    const storage = createFakeStorage({ partBytes: 1000, completeError: "this file is not an ONNX model" });
    const err = await uploadModelFile(file, { api: storage.api, putPart: storage.putPart }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect((err as UploadError).message).toBe("this file is not an ONNX model");
    expect((err as UploadError).modelId).toBe("m1");
  });

  it("stops when canceled", async () => {
    const file = createFile(5000);
    const storage = createFakeStorage({ partBytes: 1000 });
    const controller = new AbortController();
    let puts = 0;
    const putPart: TPutPart = async (url, body, onProgress, signal) => {
      puts += 1;
      if (puts === 2) controller.abort();
      if (signal.aborted) throw new Error("aborted");
      return storage.putPart(url, body, onProgress, signal);
    };
    const err = await uploadModelFile(file, { api: storage.api, putPart, concurrency: 1, signal: controller.signal }).catch((e: unknown) => e);
    expect((err as UploadError).message).toBe("upload canceled");
    expect(puts).toBe(2);
    expect(storage.completed).toBeUndefined();
  });

  it("sends no part when canceled while the part URLs are being signed", async () => {
    const file = createFile(3000);
    const storage = createFakeStorage({ partBytes: 1000 });
    const controller = new AbortController();
    let puts = 0;
    const api: TUploadApi = {
      ...storage.api,
      signUploadParts: async (input) => {
        // The user clicks Cancel while the API is still signing.
        controller.abort();
        return storage.api.signUploadParts(input);
      },
    };
    const putPart: TPutPart = async (url, body, onProgress, signal) => {
      puts += 1;
      return storage.putPart(url, body, onProgress, signal);
    };
    const err = await uploadModelFile(file, { api, putPart, concurrency: 3, signal: controller.signal }).catch((e: unknown) => e);
    expect((err as UploadError).message).toBe("upload canceled");
    expect(puts).toBe(0);
    expect(storage.completed).toBeUndefined();
  });

  it("resume: parts remembered from the interrupted attempt are not sent again, progress starts at them", async () => {
    const file = createFile(4500);
    const storage = createFakeStorage({ partBytes: 1000, failPuts: new Map([[4, 99]]) });
    const remembered: Array<{ partNumber: number; etag: string }> = [];
    let modelId = "";
    const first = await uploadModelFile(file, {
      api: storage.api,
      putPart: storage.putPart,
      concurrency: 1,
      maxRetries: 0,
      onCreated: (id) => (modelId = id),
      onPart: (part) => remembered.push(part),
    }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(UploadError);
    expect(remembered.map((p) => p.partNumber)).toEqual([1, 2, 3]);

    // The "reload": storage cannot list parts (like s3rver), so the page's remembered ETags are used.
    const puts: number[] = [];
    const api: TUploadApi = {
      ...storage.api,
      createUpload: async () => {
        throw new Error("a resume must not create a new upload");
      },
      listUploadParts: async () => ({ sizeBytes: 4500, partBytes: 1000, partCount: 5, listed: false, parts: [] }),
    };
    const progress: TUploadProgress[] = [];
    const result = await uploadModelFile(file, {
      api,
      putPart: (url, body, onProgress, signal) => {
        puts.push(Number(/part\/(\d+)/.exec(url)![1]));
        return storage.putPart(url, body, onProgress, signal);
      },
      resume: { modelId, knownParts: remembered },
      maxRetries: 0,
      onProgress: (p) => progress.push(p),
    }).catch((e: unknown) => e);
    // Part 4 still fails in this fake storage; parts 1-3 were not sent again and progress started at them.
    expect(result).toBeInstanceOf(UploadError);
    expect(puts.sort()).toEqual([4, 5]);
    expect(progress.find((p) => p.phase === "uploading")!.sentBytes).toBe(3000);
  });

  it("resume with listed parts sends only the missing ones and completes with every ETag", async () => {
    const file = createFile(2500);
    const storage = createFakeStorage({ partBytes: 1000 });
    await storage.api.createUpload({ name: "model.onnx", sizeBytes: 2500 });
    // Part 2 is already in storage (from an earlier tab).
    await storage.putPart("https://s3.test/part/2?sig=0", file.slice(1000, 2000), () => {}, new AbortController().signal);
    const puts: number[] = [];
    const api: TUploadApi = {
      ...storage.api,
      listUploadParts: async () => ({ sizeBytes: 2500, partBytes: 1000, partCount: 3, listed: true, parts: [{ partNumber: 2, etag: '"etag-2"' }] }),
    };
    await uploadModelFile(file, {
      api,
      putPart: (url, body, onProgress, signal) => {
        puts.push(Number(/part\/(\d+)/.exec(url)![1]));
        return storage.putPart(url, body, onProgress, signal);
      },
      resume: { modelId: "m1" },
    });
    expect(puts.sort()).toEqual([1, 3]);
    expect(storage.completed!.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    expect(Buffer.from(storage.assembled()).equals(Buffer.from(await file.arrayBuffer()))).toBe(true);
  });

  it("resume refuses a file of a different size", async () => {
    const storage = createFakeStorage({ partBytes: 1000 });
    const api: TUploadApi = { ...storage.api, listUploadParts: async () => ({ sizeBytes: 999, partBytes: 1000, partCount: 1, listed: true, parts: [] }) };
    const err = await uploadModelFile(createFile(2000), { api, putPart: storage.putPart, resume: { modelId: "m1" } }).catch((e: unknown) => e);
    expect((err as UploadError).message).toBe("this file is 2000 bytes but the interrupted upload was 999 bytes: start a new upload");
  });
});
