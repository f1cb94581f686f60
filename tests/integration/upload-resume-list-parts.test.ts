/**
 * Resume through storage's own part list (S3 ListParts), as on AWS S3 / MinIO: a real s3rver with the ListParts
 * shim, the real API over HTTP. One of three parts is sent, the client forgets everything but the model id, and
 * uploadModel({ resume }) sends only parts 2 and 3; the stored bytes equal the file.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startApiServer, type TApiServer } from "../../server/api/http-server";
import { loadConfig } from "../../server/config";
import { createPrismaClient, type PrismaClient } from "../../server/db/prisma";
import { createObjectStore, getObjectBytes, type TObjectStore } from "../../server/storage/object-store";
import { getFixtureModel } from "../fixtures/fetch-models";
import { signUpUser, type TApiTestEnv } from "./api-kit";
import { createTestDatabase } from "./harness";
import { installListPartsShim } from "../../server/embedded/s3rver-list-parts";

const MIB = 1024 * 1024;
let dir: string;
let s3: S3rver;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;
let store: TObjectStore;
let server: TApiServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "condense-s3-listparts-"));
  s3 = new S3rver({ address: "127.0.0.1", port: 0, directory: dir, silent: true });
  installListPartsShim(s3 as never);
  const { port } = (await s3.run()) as { port: number };
  db = await createTestDatabase("listparts");
  const config = loadConfig({
    DATABASE_URL: db.databaseUrl,
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_BUCKET: "condense-listparts",
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    S3_FORCE_PATH_STYLE: "true",
    LOG_LEVEL: "warn",
    UPLOAD_PART_BYTES: String(5 * MIB),
  } as Record<string, string> as NodeJS.ProcessEnv);
  prisma = createPrismaClient(db.databaseUrl);
  store = createObjectStore(config);
  await store.client.send(new CreateBucketCommand({ Bucket: store.bucket }));
  server = await startApiServer({ prisma, store, config, enqueueJob: async () => undefined });
});
afterAll(async () => {
  await server?.close();
  await prisma?.$disconnect();
  await s3?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("resume with storage-listed parts", () => {
  test("listUploadParts lists the stored part with its ETag; resume sends only the missing parts", async () => {
    const { client } = await signUpUser({ url: server.url } as TApiTestEnv, "listparts");
    const file = await getFixtureModel("ppocr_rec");
    const bytes = await readFile(file);
    const upload = await client.api.models.createUpload.mutate({ name: "rec.onnx", sizeBytes: bytes.byteLength });
    expect(upload.partCount).toBe(3);
    const { parts } = await client.api.models.signUploadParts.mutate({ modelId: upload.modelId, partNumbers: [1] });
    const res = await fetch(parts[0]!.url, { method: "PUT", body: bytes.subarray(0, upload.partBytes) });
    const etag1 = res.headers.get("etag");

    const listed = await client.api.models.listUploadParts.query({ modelId: upload.modelId });
    expect(listed).toMatchObject({ listed: true, partCount: 3, parts: [{ partNumber: 1, etag: etag1, sizeBytes: 5 * MIB }] });

    const sent: string[] = [];
    const counting: typeof fetch = async (input, init) => {
      if (init?.method === "PUT") sent.push(new URL(String(input)).searchParams.get("partNumber")!);
      return fetch(input, init);
    };
    const model = await client.uploadModel(file, { fetch: counting, resume: { modelId: upload.modelId } });
    expect(sent.sort()).toEqual(["2", "3"]);
    expect(model).toMatchObject({ state: "ready", sha256: createHash("sha256").update(bytes).digest("hex") });
    const row = await prisma.model.findUniqueOrThrow({ where: { id: upload.modelId } });
    expect(Buffer.from(await getObjectBytes(store, row.storageKey)).equals(bytes)).toBe(true);
  });
});
