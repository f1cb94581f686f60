/**
 * Resuming an interrupted model upload: half the parts are sent, the "page" forgets everything but the model id
 * and the ETags it kept, then uploadModel({ resume }) sends only the missing parts; the stored bytes are exact.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getObjectBytes } from "../../server/storage/object-store";
import { getFixtureModel } from "../fixtures/fetch-models";
import { catchError, signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";
import { runCondenseIn } from "./cli-kit";

const MIB = 1024 * 1024;
let env: TApiTestEnv;
beforeAll(async () => {
  env = await startApiTestEnv("uploadresume", { UPLOAD_PART_BYTES: String(5 * MIB) });
});
afterAll(async () => {
  await env?.stop();
});
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("upload resume", () => {
  test("upload 1 of 3 parts, resume: only parts 2 and 3 are sent, the model is ready and byte-identical", async () => {
    const { client } = await signUpUser(env, "resume");
    const file = await getFixtureModel("ppocr_rec");
    const bytes = await readFile(file);
    const kept: Array<{ partNumber: number; etag: string }> = [];
    let modelId = "";
    // First attempt: the network dies after the first part.
    let puts = 0;
    const dying: typeof fetch = async (input, init) => {
      if (init?.method === "PUT" && ++puts > 1) throw new TypeError("fetch failed: network is down");
      return fetch(input, init);
    };
    const first = await catchError(() =>
      client.uploadModel(file, { fetch: dying, concurrency: 1, retries: 0, onStart: (u) => (modelId = u.id), onPart: (p) => kept.push(p) }),
    );
    expect(first.message).toBe("fetch failed: network is down");
    expect(kept.map((p) => p.partNumber)).toEqual([1]);
    expect((await client.api.models.get.query({ modelId })).state).toBe("uploading");

    const listed = await client.api.models.listUploadParts.query({ modelId });
    expect(listed).toMatchObject({ modelId, sizeBytes: bytes.byteLength, partBytes: 5 * MIB, partCount: 3 });
    // s3rver cannot list parts (MethodNotAllowed); real S3/MinIO can, and then `parts` holds part 1.
    if (listed.listed) expect(listed.parts.map((p) => p.partNumber)).toEqual([1]);
    else expect(listed.parts).toEqual([]);

    const sent: string[] = [];
    const counting: typeof fetch = async (input, init) => {
      if (init?.method === "PUT") sent.push(new URL(String(input)).searchParams.get("partNumber")!);
      return fetch(input, init);
    };
    const progress: number[] = [];
    const model = await client.uploadModel(file, { fetch: counting, resume: { modelId, knownParts: kept }, onProgress: (p) => progress.push(p.sentBytes) });
    expect(sent.sort()).toEqual(["2", "3"]);
    expect(progress[0]).toBe(5 * MIB); // resumed at the part already stored
    expect(progress.at(-1)).toBe(bytes.byteLength);
    expect(model).toMatchObject({ id: modelId, state: "ready", sizeBytes: bytes.byteLength, sha256: sha256(bytes) });
    const row = await env.prisma.model.findUniqueOrThrow({ where: { id: modelId } });
    expect(Buffer.from(await getObjectBytes(env.store, row.storageKey)).equals(bytes)).toBe(true);
  });

  test("resume refuses a different file and finished uploads; another workspace's upload is NOT_FOUND", async () => {
    const alice = await signUpUser(env, "alice");
    const bob = await signUpUser(env, "bob");
    const upload = await alice.client.api.models.createUpload.mutate({ name: "m.onnx", sizeBytes: 12 * MIB });
    const small = await getFixtureModel("silero_vad_legacy");
    const err = await catchError(() => alice.client.uploadModel(small, { resume: { modelId: upload.modelId } }));
    expect(err.message).toMatch(/^this file is \d+ bytes but the interrupted upload was 12582912 bytes: start a new upload$/);
    const other = await catchError(() => bob.client.api.models.listUploadParts.query({ modelId: upload.modelId }));
    expect(other.data?.httpStatus).toBe(404);
    const ready = await alice.client.uploadModel(small);
    const done = await catchError(() => alice.client.api.models.listUploadParts.query({ modelId: ready.id }));
    expect(done.message).toBe(`model ${ready.id} is not accepting uploads (it is ready): start a new upload`);
  });

  test("condense upload --resume MODEL_ID finishes an upload another process started", async () => {
    const user = await signUpUser(env, "cli");
    const file = await getFixtureModel("ppocr_rec");
    const bytes = await readFile(file);
    const upload = await user.client.api.models.createUpload.mutate({ name: "ppocr_rec.onnx", sizeBytes: bytes.byteLength });
    const { parts } = await user.client.api.models.signUploadParts.mutate({ modelId: upload.modelId, partNumbers: [1] });
    expect((await fetch(parts[0]!.url, { method: "PUT", body: bytes.subarray(0, upload.partBytes) })).ok).toBe(true);
    const tmp = await mkdtemp(path.join(os.tmpdir(), "condense-resume-cli-"));
    try {
      const login = await runCondenseIn(tmp, ["login", "--url", env.url, "--email", user.email, "--password-stdin"], { stdin: `${user.password}\n` });
      expect(login.code).toBe(0);
      const res = await runCondenseIn(tmp, ["upload", file, "--resume", upload.modelId]);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout.trim()).toBe(upload.modelId);
      const row = await env.prisma.model.findUniqueOrThrow({ where: { id: upload.modelId } });
      expect(row.state).toBe("ready");
      expect(Buffer.from(await getObjectBytes(env.store, row.storageKey)).equals(bytes)).toBe(true);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
