import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getObjectBytes } from "../../server/storage/object-store";
import { getFixtureModel } from "../fixtures/fetch-models";
import { catchError, listKeys, signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";

const MIB = 1024 * 1024;
let env: TApiTestEnv;
beforeAll(async () => {
  // 5 MiB parts (S3's minimum) so a ~11 MB real model needs 3 parts.
  env = await startApiTestEnv("apiupload", { UPLOAD_PART_BYTES: String(5 * MIB) });
});
afterAll(async () => {
  await env?.stop();
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("upload → complete → ready", () => {
  test("a real ONNX model becomes ready with its SHA-256, size and summary; bytes in storage are exact", async () => {
    const { client } = await signUpUser(env, "small");
    const path = await getFixtureModel("silero_vad_legacy");
    const bytes = await readFile(path);
    const progress: number[] = [];
    const model = await client.uploadModel(path, { onProgress: (p) => progress.push(p.sentBytes) });

    expect(model).toMatchObject({ state: "ready", name: "silero_vad_legacy.onnx", sizeBytes: bytes.byteLength, sha256: sha256(bytes), error: null });
    expect(model.summary?.inputs.length).toBeGreaterThan(0);
    expect(model.summary?.opsets.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(bytes.byteLength);

    const row = await env.prisma.model.findUniqueOrThrow({ where: { id: model.id } });
    expect(row.uploadId).toBeNull();
    expect(Buffer.from(await getObjectBytes(env.store, row.storageKey)).equals(bytes)).toBe(true);
    expect(await client.api.models.get.query({ modelId: model.id })).toEqual(model);
  });

  test("a multi-part upload (3 parts of 5 MiB) with a part that fails once is retried and stored intact", async () => {
    const { client } = await signUpUser(env, "multi");
    const path = await getFixtureModel("ppocr_rec");
    const bytes = await readFile(path);
    expect(bytes.byteLength).toBeGreaterThan(10 * MIB);

    const putUrls: string[] = [];
    let failedOnce = false;
    // Real s3rver behind it; only the first PUT of part 2 is dropped, as a flaky network would.
    const flakyFetch: typeof fetch = async (input, init) => {
      const url = String(input);
      if (init?.method === "PUT") {
        putUrls.push(url);
        if (/[?&]partNumber=2(&|$)/.test(url) && !failedOnce) {
          failedOnce = true;
          throw new TypeError("fetch failed: connection reset");
        }
      }
      return fetch(input, init);
    };
    const progress: Array<{ sentBytes: number; totalBytes: number }> = [];
    const model = await client.uploadModel(path, { fetch: flakyFetch, concurrency: 2, onProgress: (p) => progress.push(p) });

    expect(failedOnce).toBe(true);
    expect(putUrls.filter((u) => /[?&]partNumber=2(&|$)/.test(u))).toHaveLength(2);
    expect(new Set(putUrls.map((u) => new URL(u).searchParams.get("partNumber")))).toEqual(new Set(["1", "2", "3"]));
    expect(model).toMatchObject({ state: "ready", sizeBytes: bytes.byteLength, sha256: sha256(bytes) });
    expect(progress.at(-1)).toEqual({ sentBytes: bytes.byteLength, totalBytes: bytes.byteLength });
    const row = await env.prisma.model.findUniqueOrThrow({ where: { id: model.id } });
    expect(row.partBytes).toBe(5 * MIB);
    expect(sha256(await getObjectBytes(env.store, row.storageKey))).toBe(sha256(bytes));
  });

  test("resume: a part first sent with wrong bytes is re-signed and re-sent; the stored file is the right one", async () => {
    const { client } = await signUpUser(env, "resume");
    const bytes = await readFile(await getFixtureModel("ppocr_rec"));
    const upload = await client.api.models.createUpload.mutate({ name: "rec.onnx", sizeBytes: bytes.byteLength });
    expect(upload).toMatchObject({ partBytes: 5 * MIB, partCount: 3 });

    const partBytes = (n: number) => bytes.subarray((n - 1) * upload.partBytes, Math.min(n * upload.partBytes, bytes.byteLength));
    const put = async (n: number, body: Uint8Array) => {
      const { parts } = await client.api.models.signUploadParts.mutate({ modelId: upload.modelId, partNumbers: [n] });
      const res = await fetch(parts[0]!.url, { method: "PUT", body: body as BodyInit });
      expect(res.status).toBe(200);
      return res.headers.get("etag")!;
    };
    // A corrupted first attempt of part 1 (e.g. the client crashed mid-way and wrote garbage)...
    await put(1, new Uint8Array(upload.partBytes).fill(7));
    // ...then the client resumes: re-signs and re-sends it, and the others.
    const etags = [await put(1, partBytes(1)), await put(2, partBytes(2)), await put(3, partBytes(3))];
    const model = await client.api.models.completeUpload.mutate({
      modelId: upload.modelId,
      parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    });
    expect(model).toMatchObject({ state: "ready", sha256: sha256(bytes), sizeBytes: bytes.byteLength });
  });

  test("completing with a missing part is refused and the upload can still be finished", async () => {
    const { client } = await signUpUser(env, "missing");
    const bytes = await readFile(await getFixtureModel("ppocr_rec"));
    const upload = await client.api.models.createUpload.mutate({ name: "rec.onnx", sizeBytes: bytes.byteLength });
    const err = await catchError(() =>
      client.api.models.completeUpload.mutate({ modelId: upload.modelId, parts: [{ partNumber: 1, etag: '"x"' }] }),
    );
    expect(err.message).toBe("the upload is incomplete: parts 2, 3 of 3 are missing");
    expect((await client.api.models.get.query({ modelId: upload.modelId })).state).toBe("uploading");
  });

  test("list is newest first with cursor pagination", async () => {
    const { client } = await signUpUser(env, "lister");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client.api.models.createUpload.mutate({ name: `m${i}.onnx`, sizeBytes: 1000 })).modelId);
    const first = await client.api.models.list.query({ limit: 2 });
    expect(first.items.map((m) => m.id)).toEqual([ids[2], ids[1]]);
    expect(first.hasMore).toBe(true);
    const second = await client.api.models.list.query({ limit: 2, cursor: first.nextCursor });
    expect(second.items.map((m) => m.id)).toEqual([ids[0]]);
    expect(second).toMatchObject({ hasMore: false, nextCursor: null });
    expect(second.items[0]).toMatchObject({ state: "uploading", sizeBytes: 1000, sha256: null });
  });

  test("storage keys carry a 128-bit random token", async () => {
    const { client, workspaceId } = await signUpUser(env, "keys");
    const upload = await client.api.models.createUpload.mutate({ name: "k.onnx", sizeBytes: 10 });
    const row = await env.prisma.model.findUniqueOrThrow({ where: { id: upload.modelId } });
    expect(row.storageKey).toMatch(new RegExp(`^ws/${workspaceId}/models/${upload.modelId}-[0-9a-f]{32}/model\\.onnx$`));
    expect(await listKeys(env, `ws/${workspaceId}/`)).toEqual([]); // nothing stored until parts arrive
  });
});
