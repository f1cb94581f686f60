import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PRESETS } from "../../contracts/pipeline";
import { JOB_QUEUE_NAME } from "../../server/queue/job-queue";
import { buildAttemptPrefix, createKeyToken, putObject } from "../../server/storage/object-store";
import { getFixtureModel } from "../fixtures/fetch-models";
import { catchError, signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";

let env: TApiTestEnv;
let tmp: string;
let alice: Awaited<ReturnType<typeof signUpUser>>;
let bob: Awaited<ReturnType<typeof signUpUser>>;
let modelId: string;
beforeAll(async () => {
  env = await startApiTestEnv("apijobs");
  tmp = await mkdtemp(path.join(os.tmpdir(), "condense-api-jobs-"));
  alice = await signUpUser(env, "alice");
  bob = await signUpUser(env, "bob");
  modelId = (await alice.client.uploadModel(await getFixtureModel("silero_vad_legacy"))).id;
});
afterAll(async () => {
  await env?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** What the worker does on success, done directly so these tests need no worker: publish one artifact. */
async function publishArtifact(jobId: string, workspaceId: string, name: string, body: Uint8Array) {
  const key = `${buildAttemptPrefix(workspaceId, jobId, 1, createKeyToken())}${name}`;
  const { sizeBytes, sha256 } = await putObject(env.store, key, body, "application/json");
  await env.prisma.artifact.create({
    data: { workspaceId, jobId, name, storageKey: key, sizeBytes: BigInt(sizeBytes), sha256, contentType: "application/json", attempt: 1 },
  });
  await env.prisma.job.update({ where: { id: jobId }, data: { state: "succeeded", progress: 1, finishedAt: new Date(), attempts: 1 } });
  return key;
}

async function queuedDeliveries(jobId: string): Promise<number> {
  const { rows } = await env.queue.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND data->>'jobId' = $2`, [JOB_QUEUE_NAME, jobId]);
  return rows[0].n as number;
}

describe("jobs", () => {
  test("create from a preset: a queued job with the preset's pipeline, delivered to the queue", async () => {
    const job = await alice.client.createJob({ modelId, preset: "analyze" });
    expect(job).toMatchObject({ modelId, state: "queued", progress: 0, attempts: 0, preset: "analyze", error: null, artifacts: [], startedAt: null });
    expect(job.pipeline).toEqual(PRESETS.get("analyze")!.pipeline);
    expect(await queuedDeliveries(job.id)).toBe(1);
  });

  test("create from a pipeline given as JSON text (the CLI's --pipeline), defaults filled in", async () => {
    const job = await alice.client.createJob({ modelId, pipeline: JSON.stringify({ steps: [{ pass: "analyze", options: { latencyRuns: 5 } }] }) });
    expect(job.pipeline).toEqual({ steps: [{ pass: "analyze", options: { latencyRuns: 5, warmupRuns: 3, dynamicDimSize: 1 } }] });
    expect(job.preset).toBeNull();
  });

  test("cancel a queued job, then cancel again is CONFLICT", async () => {
    const job = await alice.client.createJob({ modelId, preset: "analyze" });
    const canceled = await alice.client.cancelJob(job.id);
    expect(canceled.state).toBe("canceled");
    expect(canceled.finishedAt).not.toBeNull();
    expect(canceled.cancelRequestedAt).not.toBeNull();
    const err = await catchError(() => alice.client.cancelJob(job.id));
    expect(err.message).toBe("job already finished (canceled)");
    expect(err.data?.httpStatus).toBe(409);
  });

  test("cancel a running job records the request for the worker's heartbeat", async () => {
    const job = await alice.client.createJob({ modelId, preset: "analyze" });
    await env.prisma.job.update({ where: { id: job.id }, data: { state: "running", startedAt: new Date(), attempts: 1, stage: "analyze", progress: 0.4 } });
    const canceled = await alice.client.cancelJob(job.id);
    expect(canceled).toMatchObject({ state: "canceled", stage: "analyze", progress: 0.4 });
    const row = await env.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.cancelRequestedAt).toBeInstanceOf(Date);
  });

  test("waitForJob reports progress and returns the terminal job; the artifact downloads verified", async () => {
    const job = await alice.client.createJob({ modelId, preset: "analyze" });
    const report = new TextEncoder().encode(JSON.stringify({ schemaVersion: 1, hello: "report" }));
    const seen: string[] = [];
    // Play the worker's part only after the client has seen the job queued, so a loaded machine cannot reorder it.
    let markSeen!: () => void;
    const firstPoll = new Promise<void>((resolve) => (markSeen = resolve));
    void firstPoll.then(() => {
      void (async () => {
        await env.prisma.job.update({ where: { id: job.id }, data: { state: "running", stage: "analyze", progress: 0.5, startedAt: new Date() } });
        await new Promise((r) => setTimeout(r, 150));
        await publishArtifact(job.id, alice.workspaceId, "report.json", report);
      })();
    });
    const done = await alice.client.waitForJob(job.id, {
      pollMs: 50,
      onProgress: (j) => {
        seen.push(j.state);
        markSeen();
      },
    });
    expect(done.state).toBe("succeeded");
    expect(seen).toContain("queued");
    expect(seen.at(-1)).toBe("succeeded");
    expect(done.artifacts).toEqual([
      expect.objectContaining({ name: "report.json", sizeBytes: report.byteLength, sha256: createHash("sha256").update(report).digest("hex") }),
    ]);

    const dest = path.join(tmp, "report.json");
    const progress: number[] = [];
    const result = await alice.client.downloadArtifact(job.id, "report.json", dest, { onProgress: (p) => progress.push(p.receivedBytes) });
    expect(Buffer.from(await readFile(dest)).equals(Buffer.from(report))).toBe(true);
    expect(result.sizeBytes).toBe(report.byteLength);
    expect(progress.at(-1)).toBe(report.byteLength);
    expect((await readdir(tmp)).filter((f) => f.endsWith(".part"))).toEqual([]);

    const link = await alice.client.api.jobs.getArtifactUrl.query({ jobId: job.id, name: "report.json" });
    const res = await fetch(link.url);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="report.json"');
    const missing = await catchError(() => alice.client.api.jobs.getArtifactUrl.query({ jobId: job.id, name: "model.onnx" }));
    expect(missing.data?.httpStatus).toBe(404);
  });

  test("waitForJob stops on abort", async () => {
    const job = await alice.client.createJob({ modelId, preset: "analyze" });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("gave up")), 150);
    await expect(alice.client.waitForJob(job.id, { pollMs: 50, signal: ac.signal })).rejects.toThrow("gave up");
  });

  test("list jobs: newest first, filtered by model, paginated", async () => {
    const page1 = await alice.client.api.jobs.list.query({ limit: 2, modelId });
    expect(page1.items).toHaveLength(2);
    expect(page1.hasMore).toBe(true);
    const all = [...page1.items];
    let cursor = page1.nextCursor;
    while (cursor) {
      const page = await alice.client.api.jobs.list.query({ limit: 2, modelId, cursor });
      all.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(all.length).toBe(await env.prisma.job.count({ where: { modelId } }));
    const created = all.map((j) => Date.parse(j.createdAt));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    expect(new Set(all.map((j) => j.id)).size).toBe(all.length);
  });
});

describe("cross-workspace access", () => {
  test("Bob cannot read, list, cancel, download or use Alice's model, job or artifact", async () => {
    const job = await alice.client.createJob({ modelId, preset: "analyze" });
    const key = await publishArtifact(job.id, alice.workspaceId, "report.json", new TextEncoder().encode("{}"));
    const queuedJob = await alice.client.createJob({ modelId, preset: "analyze" });

    const denied = [
      () => bob.client.api.models.get.query({ modelId }),
      () => bob.client.api.models.signUploadParts.mutate({ modelId, partNumbers: [1] }),
      () => bob.client.api.models.completeUpload.mutate({ modelId, parts: [{ partNumber: 1, etag: "x" }] }),
      () => bob.client.getJob(job.id),
      () => bob.client.cancelJob(queuedJob.id),
      () => bob.client.api.jobs.getArtifactUrl.query({ jobId: job.id, name: "report.json" }),
      () => bob.client.createJob({ modelId, preset: "analyze" }),
    ];
    for (const call of denied) {
      const err = await catchError(call);
      expect(err.data?.httpStatus).toBe(404);
      expect(err.message).toMatch(/not found$/);
    }
    expect((await bob.client.api.models.list.query({})).items).toEqual([]);
    expect((await bob.client.api.jobs.list.query({})).items).toEqual([]);
    // Alice's cursor means nothing in Bob's workspace.
    expect((await catchError(() => bob.client.api.jobs.list.query({ cursor: job.id }))).data?.httpStatus).toBe(400);
    // Bob's cancel attempt left Alice's job alone.
    expect((await alice.client.getJob(queuedJob.id)).state).toBe("queued");

    // The storage keys are not derivable from ids: a 128-bit random token sits in each.
    const model = await env.prisma.model.findUniqueOrThrow({ where: { id: modelId } });
    expect(model.storageKey).toMatch(/-[0-9a-f]{32}\/model\.onnx$/);
    expect(key).toMatch(/attempt-1-[0-9a-f]{32}\/report\.json$/);
    // A guessed key (without the token) fetches nothing, even from a server that checks no signatures.
    const guessed = `${env.stack.s3.endpoint}/${env.store.bucket}/ws/${alice.workspaceId}/models/${modelId}/model.onnx`;
    expect((await fetch(guessed)).status).toBe(404);
  });
});
