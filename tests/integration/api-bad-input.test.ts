import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PRESETS } from "../../contracts/pipeline";
import { getFixtureModel } from "../fixtures/fetch-models";
import { catchError, listKeys, signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";

const MIB = 1024 * 1024;
let env: TApiTestEnv;
let vad: Uint8Array;
beforeAll(async () => {
  env = await startApiTestEnv("apibad", { MAX_UPLOAD_BYTES: String(4 * MIB) });
  vad = await readFile(await getFixtureModel("silero_vad_legacy"));
});
afterAll(async () => {
  await env?.stop();
});

/** Uploads bytes through the client and returns the error plus the model row it left behind. */
async function uploadExpectingFailure(bytes: Uint8Array) {
  const user = await signUpUser(env, "bad");
  const err = await catchError(() => user.client.uploadModel(bytes, { name: "bad.onnx" }));
  const models = await env.prisma.model.findMany({ where: { workspaceId: user.workspaceId } });
  const keys = await listKeys(env, `ws/${user.workspaceId}/`);
  return { err, models, keys, user };
}

describe("bad uploads are refused with a clear message and nothing half-stored", () => {
  test("not ONNX (a PNG)", async () => {
    const png = new Uint8Array(4096);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const { err, models, keys } = await uploadExpectingFailure(png);
    expect(err.message).toMatch(/^the file is not an ONNX model/);
    expect(err.message).toMatch(/PNG/i);
    expect(err.data?.httpStatus).toBe(422);
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ state: "failed", error: err.message, sha256: null });
    expect(keys).toEqual([]);
  });

  test("truncated protobuf (the first 60% of a real model)", async () => {
    const { err, models, keys } = await uploadExpectingFailure(vad.subarray(0, Math.floor(vad.byteLength * 0.6)));
    expect(err.message).toMatch(/truncated/i);
    expect(err.data?.httpStatus).toBe(422);
    expect(models[0]).toMatchObject({ state: "failed", error: err.message });
    expect(keys).toEqual([]);
  });

  test("empty file: refused before anything is created", async () => {
    const { err, models, keys } = await uploadExpectingFailure(new Uint8Array(0));
    expect(err.message).toBe("the file is empty: choose an .onnx model file");
    expect(err.data?.httpStatus).toBe(422);
    expect(models).toEqual([]);
    expect(keys).toEqual([]);
  });

  test("over the size limit: PAYLOAD_TOO_LARGE naming the limit", async () => {
    const { client, workspaceId } = await signUpUser(env, "big");
    const err = await catchError(() => client.api.models.createUpload.mutate({ name: "big.onnx", sizeBytes: 5 * MIB }));
    expect(err.message).toBe("the file is 5 MiB, larger than the upload limit of 4 MiB");
    expect(err.data?.httpStatus).toBe(413);
    expect(await env.prisma.model.count({ where: { workspaceId } })).toBe(0);
  });

  test("more bytes stored than declared (a lying client): model failed, object deleted", async () => {
    const { client, workspaceId } = await signUpUser(env, "liar");
    const upload = await client.api.models.createUpload.mutate({ name: "liar.onnx", sizeBytes: 1000 });
    const { parts } = await client.api.models.signUploadParts.mutate({ modelId: upload.modelId, partNumbers: [1] });
    const res = await fetch(parts[0]!.url, { method: "PUT", body: vad as BodyInit });
    const err = await catchError(() =>
      client.api.models.completeUpload.mutate({ modelId: upload.modelId, parts: [{ partNumber: 1, etag: res.headers.get("etag")! }] }),
    );
    expect(err.message).toMatch(/^the uploaded file is .* but 1000 bytes were announced: upload it again$/);
    const model = await client.api.models.get.query({ modelId: upload.modelId });
    expect(model).toMatchObject({ state: "failed", error: err.message });
    expect(await listKeys(env, `ws/${workspaceId}/`)).toEqual([]);
    // A failed model takes no more parts.
    const again = await catchError(() => client.api.models.signUploadParts.mutate({ modelId: upload.modelId, partNumbers: [1] }));
    expect(again.data?.httpStatus).toBe(409);
  });

  test("input schema errors are readable and carry the flattened zod error", async () => {
    const { client } = await signUpUser(env, "schema");
    const err = await catchError(() => client.api.models.createUpload.mutate({ name: "", sizeBytes: 1.5 }));
    expect(err.message).toContain("name: give the model a name");
    expect(err.message).toContain("sizeBytes: sizeBytes must be a whole number");
    expect((err.data as { zodError?: { fieldErrors: Record<string, string[]> } }).zodError?.fieldErrors.name).toEqual(["give the model a name"]);
  });
});

describe("bad job requests", () => {
  let client: Awaited<ReturnType<typeof signUpUser>>["client"];
  let modelId: string;
  beforeAll(async () => {
    ({ client } = await signUpUser(env, "jobs"));
    modelId = (await client.uploadModel(vad, { name: "vad.onnx" })).id;
  });

  test("unknown preset lists the presets", async () => {
    const err = await catchError(() => client.createJob({ modelId, preset: "turbo" }));
    expect(err.message).toBe(`unknown preset "turbo": choose one of ${[...PRESETS.keys()].join(", ")}`);
    expect(err.message).toContain("analyze");
    expect(err.data?.httpStatus).toBe(400);
  });

  test("malformed pipeline JSON", async () => {
    const err = await catchError(() => client.createJob({ modelId, pipeline: '{"steps": [{"pass": "analyze",' }));
    expect(err.message).toMatch(/^pipeline is not valid JSON: /);
  });

  test("invalid pipeline options point at the step and option", async () => {
    const err = await catchError(() => client.createJob({ modelId, pipeline: { steps: [{ pass: "analyze", options: { latencyRuns: 0 } }] } }));
    expect(err.message).toMatch(/^invalid pipeline: steps\[0\]\.options\.latencyRuns: /);
    const unknownPass = await catchError(() => client.createJob({ modelId, pipeline: { steps: [{ pass: "shrink" }] } }));
    expect(unknownPass.message).toMatch(/^invalid pipeline: steps\[0\]\.pass/);
  });

  test("exactly one of pipeline / preset", async () => {
    const both = await catchError(() => client.createJob({ modelId, preset: "analyze", pipeline: { steps: [{ pass: "analyze" }] } }));
    expect(both.message).toBe("give exactly one of a pipeline or a preset");
    const neither = await catchError(() => client.createJob({ modelId }));
    expect(neither.message).toBe("give exactly one of a pipeline or a preset");
  });

  test("a model that is not ready cannot be compressed", async () => {
    const pending = await client.api.models.createUpload.mutate({ name: "pending.onnx", sizeBytes: 100 });
    const err = await catchError(() => client.createJob({ modelId: pending.modelId, preset: "analyze" }));
    expect(err.message).toMatch(/is not ready yet \(it is uploading\): finish the upload first$/);
    expect(err.data?.httpStatus).toBe(409);
  });

  test("a job for someone else's model is NOT_FOUND, and nothing is queued", async () => {
    const other = await signUpUser(env, "other");
    const err = await catchError(() => other.client.createJob({ modelId, preset: "analyze" }));
    expect(err.message).toBe(`model ${modelId} not found`);
    expect(err.data?.httpStatus).toBe(404);
    expect(await env.prisma.job.count({ where: { modelId } })).toBe(0);
  });
});
