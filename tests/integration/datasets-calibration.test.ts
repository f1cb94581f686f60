/**
 * Calibration data on the platform: a real .npz built from generated inputs for the PP-OCR classifier is uploaded
 * as a dataset, an int8-static job runs on a real worker with it, and the report and job log name the dataset.
 * Wrong tensor names, bundles that escape their folder and other workspaces' ids fail with user-readable errors.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ZReport } from "../../contracts/report";
import { encodeNpz } from "../../worker/data/npz";
import { encodeTensorProto } from "../../worker/data/tensor-proto-file";
import { getFixtureModel } from "../fixtures/fetch-models";
import { catchError, signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";
import { killWorker, spawnWorker, type TWorkerProcess } from "./worker-test-kit";

let env: TApiTestEnv;
let tmp: string;
let worker: TWorkerProcess;
let alice: Awaited<ReturnType<typeof signUpUser>>;
let modelId: string;
let inputName: string;

/** Deterministic pseudo-random image-like data in [0, 1). */
function makeImages(n: number, seed = 1): Float32Array {
  const data = new Float32Array(n * 3 * 48 * 192);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 8) / 2 ** 24;
  }
  return data;
}

beforeAll(async () => {
  env = await startApiTestEnv("datasets");
  tmp = await mkdtemp(path.join(os.tmpdir(), "condense-datasets-"));
  alice = await signUpUser(env, "alice");
  const model = await alice.client.uploadModel(await getFixtureModel("ppocr_cls"));
  modelId = model.id;
  inputName = model.summary!.inputs[0]!.name;
  worker = spawnWorker(env, [], { WORKER_LEASE_SECONDS: "20", LOG_LEVEL: "warn" });
});

afterAll(async () => {
  await killWorker(worker);
  await env?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("datasets", () => {
  test("a .npz dataset is validated into a summary; int8-static calibrates on it and the report and log name it", async () => {
    const file = path.join(tmp, "cls-calib.npz");
    await writeFile(file, encodeNpz({ [inputName]: { dtype: "float32", dims: [16, 3, 48, 192], data: makeImages(16) } }));
    const dataset = await alice.client.uploadDataset(file);
    expect(dataset).toMatchObject({ state: "ready", name: "cls-calib.npz", error: null });
    expect(dataset.summary).toEqual({
      format: "npz",
      tensors: [{ name: inputName, dtype: "float32", shape: [16, 3, 48, 192] }],
      sampleCount: 16,
      hasLabels: false,
      fileCount: 1,
    });
    expect((await alice.client.api.datasets.list.query({ limit: 10, state: "ready" })).items.map((d) => d.id)).toEqual([dataset.id]);

    const job = await alice.client.createJob({ modelId, preset: "int8-static", calibrationDatasetId: dataset.id, evaluationDatasetId: dataset.id });
    expect(job).toMatchObject({ calibrationDatasetId: dataset.id, evaluationDatasetId: dataset.id });
    const done = await alice.client.waitForJob(job.id, { signal: AbortSignal.timeout(150_000), pollMs: 300 });
    expect(done.error, worker.stderr()).toBeNull();
    expect(done.state).toBe("succeeded");
    const reportPath = path.join(tmp, "report.json");
    await alice.client.downloadArtifact(job.id, "report.json", reportPath);
    const report = ZReport.parse(JSON.parse(await readFile(reportPath, "utf8")));
    expect(report.inputs?.source).toBe("user");
    expect(report.inputs?.description).toContain(`dataset "cls-calib.npz" (${dataset.id})`);
    expect(report.inputs?.description).toContain("16 samples");
    // The quantizer's own section says what it calibrated on (here the same dataset).
    const calibration = (report as { calibration?: { source: string; description: string } }).calibration;
    expect(calibration?.source).toBe("user");
    expect(calibration?.description).toContain(`dataset "cls-calib.npz" (${dataset.id})`);

    const { lines, nextAfterId, jobState } = await alice.client.getJobLogs(job.id);
    expect(jobState).toBe("succeeded");
    const messages = lines.map((l) => l.message);
    expect(messages[0]).toMatch(/^attempt 1 started on worker /);
    expect(messages).toContain("stage: downloading model");
    expect(messages.some((m) => m.startsWith(`calibration data: dataset "cls-calib.npz" (${dataset.id})`))).toBe(true);
    expect(messages.some((m) => /^step 1 int8-static: size x0\.\d+/.test(m))).toBe(true);
    expect(messages.at(-1)).toMatch(/^finished: \d+ artifacts uploaded \(.*report\.json/);
    // Following: nothing new after the last id; ids are increasing 64-bit ids as text.
    expect(nextAfterId).toBe(lines.at(-1)!.id);
    expect((await alice.client.getJobLogs(job.id, nextAfterId)).lines).toEqual([]);
    expect(lines.map((l) => BigInt(l.id))).toEqual([...lines.map((l) => BigInt(l.id))].sort((a, b) => (a < b ? -1 : 1)));
  });

  test("wrong tensor names or shapes are a BAD_INPUT at jobs.create that names the dataset and the model's inputs", async () => {
    const wrongName = path.join(tmp, "wrong-names.npz");
    await writeFile(wrongName, encodeNpz({ pixels: { dtype: "float32", dims: [2, 3, 48, 192], data: makeImages(2) }, extra: { dtype: "float32", dims: [2], data: new Float32Array(2) } }));
    const bad = await alice.client.uploadDataset(wrongName);
    expect(bad.state).toBe("ready");
    const err = await catchError(() => alice.client.createJob({ modelId, preset: "int8-static", calibrationDatasetId: bad.id }));
    expect(err.data?.httpStatus).toBe(400);
    expect(err.message).toContain("calibration dataset wrong-names.npz");
    expect(err.message).toContain(`the model's inputs are '${inputName}'`);

    const wrongShape = path.join(tmp, "wrong-shape.npy.zip");
    const { encodeNpy } = await import("../../worker/data/npy");
    await writeFile(wrongShape, zipSync({ "calib/x.npy": encodeNpy({ dtype: "float32", dims: [2, 1, 48, 192], data: new Float32Array(2 * 48 * 192) }) }));
    const shaped = await alice.client.uploadDataset(wrongShape);
    expect(shaped.summary).toMatchObject({ format: "npy-folder", sampleCount: 2 });
    const shapeErr = await catchError(() => alice.client.createJob({ modelId, preset: "int8-static", evaluationDatasetId: shaped.id }));
    expect(shapeErr.data?.httpStatus).toBe(400);
    expect(shapeErr.message).toMatch(/^evaluation dataset wrong-shape\.npy\.zip: input 'x' expects shape \[.+, 3, .+\], the dataset's 'x' has \[2, 1, 48, 192\] \(axis 1 must be 3\)$/);
  });

  test("bundles: model-zoo .tar is summarized; a path escape or a non-data member fails the upload with the reason", async () => {
    const tarFile = path.join(tmp, "zoo.tar");
    await writeFile(tarFile, buildTar({
      "zoo/test_data_set_0/input_0.pb": encodeTensorProto(inputName, { dtype: "float32", dims: [1, 3, 48, 192], data: makeImages(1, 3) }),
      "zoo/test_data_set_1/input_0.pb": encodeTensorProto(inputName, { dtype: "float32", dims: [1, 3, 48, 192], data: makeImages(1, 4) }),
    }));
    const zoo = await alice.client.uploadDataset(tarFile);
    expect(zoo.summary).toEqual({ format: "model-zoo", tensors: [{ name: inputName, dtype: "float32", shape: [1, 3, 48, 192] }], sampleCount: 2, hasLabels: false, fileCount: 2 });

    const escape = path.join(tmp, "escape.zip");
    await writeFile(escape, zipSync({ "../../etc/x.npy": new Uint8Array(16) }));
    const escErr = await catchError(() => alice.client.uploadDataset(escape));
    expect(escErr.message).toBe("escape.zip: entry '../../etc/x.npy' points outside the bundle (absolute path or '..'); re-create the archive with relative paths");
    const failed = (await alice.client.api.datasets.list.query({ limit: 20, state: "failed" })).items;
    expect(failed.map((d) => d.name)).toContain("escape.zip");

    const exe = path.join(tmp, "exe.zip");
    await writeFile(exe, zipSync({ "run.sh": new TextEncoder().encode("#!/bin/sh\n") }));
    expect((await catchError(() => alice.client.uploadDataset(exe))).message).toBe("exe.zip: entry 'run.sh' is not a .npy, .npz or .pb file (bundles hold only data files)");

    const typeErr = await catchError(() => alice.client.api.datasets.createUpload.mutate({ name: "data.csv", sizeBytes: 10 }));
    expect(typeErr.message).toContain('"data.csv" is not a dataset file');
  });

  test("workspace scoping: another workspace's dataset is NOT_FOUND for get, delete and jobs.create", async () => {
    const bob = await signUpUser(env, "bob");
    const file = path.join(tmp, "alice-only.npy");
    const { encodeNpy } = await import("../../worker/data/npy");
    await writeFile(file, encodeNpy({ dtype: "float32", dims: [1, 3, 48, 192], data: makeImages(1) }));
    const mine = await alice.client.uploadDataset(file);
    expect(mine.summary).toMatchObject({ format: "npy", sampleCount: 1 });
    const bobModel = await bob.client.uploadModel(await getFixtureModel("ppocr_cls"));
    for (const call of [
      () => bob.client.api.datasets.get.query({ datasetId: mine.id }),
      () => bob.client.api.datasets.delete.mutate({ datasetId: mine.id }),
      () => bob.client.createJob({ modelId: bobModel.id, preset: "int8-static", calibrationDatasetId: mine.id }),
    ]) {
      const err = await catchError(call);
      expect(err.data?.httpStatus).toBe(404);
      expect(err.message).toBe(`dataset ${mine.id} not found`);
    }
    const deleted = await alice.client.api.datasets.delete.mutate({ datasetId: mine.id });
    expect(deleted.id).toBe(mine.id);
    expect(await env.prisma.dataset.findUnique({ where: { id: mine.id } })).toBeNull();
  });
});

/** A minimal ustar archive (what `tar -cf` writes for plain files). */
function buildTar(files: Record<string, Uint8Array>): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [name, data] of Object.entries(files)) {
    const h = new Uint8Array(512);
    const put = (s: string, at: number) => h.set(new TextEncoder().encode(s), at);
    put(name, 0);
    put("0000644\0", 100);
    put("0000000\0", 108);
    put("0000000\0", 116);
    put(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
    put("00000000000\0", 136);
    put("        ", 148);
    put("0", 156);
    put("ustar\0", 257);
    put("00", 263);
    const sum = h.reduce((a, b) => a + b, 0);
    put(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(h, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of blocks) (out.set(b, o), (o += b.length));
  return out;
}
