/**
 * Rate limits (token buckets in PostgreSQL), quotas and idempotent job creation over real HTTP on a real database.
 * Limits are set low for the test: 5 requests/min per key, 12 per workspace, 3 concurrent jobs, 1 MB of storage.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCondenseClient } from "../../client";
import { JOB_QUEUE_NAME } from "../../server/queue/job-queue";
import { catchError, signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";

let env: TApiTestEnv;

beforeAll(async () => {
  env = await startApiTestEnv("limits", {
    RATE_LIMIT_KEY_PER_MINUTE: "5",
    RATE_LIMIT_WORKSPACE_PER_MINUTE: "12",
    QUOTA_CONCURRENT_JOBS: "3",
    QUOTA_STORAGE_BYTES: "1000000",
  });
});

afterAll(async () => {
  await env?.stop();
});

async function addReadyModel(workspaceId: string, sizeBytes = 10) {
  return env.prisma.model.create({
    data: { workspaceId, name: "m.onnx", state: "ready", sizeBytes: BigInt(sizeBytes), storageKey: `k-${Date.now()}-${Math.random()}` },
  });
}

async function countQueueMessages(jobId: string): Promise<number> {
  const res = await env.queue.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND data->>'jobId' = $2`, [JOB_QUEUE_NAME, jobId]);
  return res.rows[0].n as number;
}

describe("rate limits", () => {
  test("per key: the 6th call in a minute is 429 with Retry-After; another key of the workspace still works", async () => {
    const user = await signUpUser(env, "rl-key");
    const keyA = (await user.client.createApiKey("a")).key;
    const keyB = (await user.client.createApiKey("b")).key;
    const clientA = createCondenseClient({ baseUrl: env.url, apiKey: keyA });
    for (let i = 0; i < 5; i++) await clientA.api.models.list.query();
    const res = await fetch(`${env.url}/api/trpc/models.list`, { headers: { authorization: `Bearer ${keyA}` } });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    // 5 per minute refills one token every 12 s.
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(12);
    const body = (await res.json()) as { error: { message: string; data: { appCode: string; details: { retryAfterSeconds: number } } } };
    expect(body.error.message).toMatch(/^too many requests for this API key \(limit 5 per minute\): retry in \d+ s$/);
    expect(body.error.data).toMatchObject({ appCode: "RATE_LIMITED", details: { retryAfterSeconds: retryAfter } });
    await createCondenseClient({ baseUrl: env.url, apiKey: keyB }).api.models.list.query();
  });

  test("per workspace: all credentials share one bucket; other workspaces are not affected", async () => {
    const user = await signUpUser(env, "rl-ws");
    const other = await signUpUser(env, "rl-other");
    let limited: Awaited<ReturnType<typeof catchError>> | undefined;
    for (let i = 0; i < 14 && !limited; i++) {
      try {
        await user.client.api.models.list.query();
      } catch (err) {
        limited = err as Awaited<ReturnType<typeof catchError>>;
      }
    }
    expect(limited?.data?.httpStatus).toBe(429);
    expect(limited?.message).toContain("too many requests for this workspace (limit 12 per minute)");
    await other.client.api.models.list.query();
  });
});

describe("quotas", () => {
  test("concurrent jobs: the 4th queued job is refused with a clear message; canceling one makes room", async () => {
    const user = await signUpUser(env, "q-jobs");
    const model = await addReadyModel(user.workspaceId);
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push(await user.client.createJob({ modelId: model.id, preset: "analyze" }));
    const err = await catchError(() => user.client.createJob({ modelId: model.id, preset: "analyze" }));
    expect(err.data?.httpStatus).toBe(429);
    expect(err.message).toBe("too many jobs at once: the workspace has 3 queued or running (the limit is 3): wait for one to finish or cancel one");
    await user.client.cancelJob(jobs[0]!.id);
    expect((await user.client.createJob({ modelId: model.id, preset: "analyze" })).state).toBe("queued");
  });

  test("storage: an upload that would exceed the workspace quota is refused before anything is stored", async () => {
    const user = await signUpUser(env, "q-storage");
    await addReadyModel(user.workspaceId, 900_000);
    const err = await catchError(() => user.client.api.models.createUpload.mutate({ name: "big.onnx", sizeBytes: 200_000 }));
    expect(err.data?.httpStatus).toBe(403);
    expect(err.message).toMatch(/^storage quota exceeded: the workspace stores 878\.9 KiB of 976\.6 KiB, and this upload needs 195\.3 KiB more/);
    expect(await env.prisma.model.count({ where: { workspaceId: user.workspaceId } })).toBe(1);
    const ok = await user.client.api.models.createUpload.mutate({ name: "small.onnx", sizeBytes: 50_000 });
    expect((await env.prisma.model.findUniqueOrThrow({ where: { id: ok.modelId } })).state).toBe("uploading");
  });
});

describe("Idempotency-Key on jobs.create", () => {
  test("same key + same body → the same job, queued once; same key + different body → 422; new key → new job", async () => {
    const user = await signUpUser(env, "idem");
    const model = await addReadyModel(user.workspaceId);
    const first = await user.client.createJob({ modelId: model.id, preset: "analyze" }, { idempotencyKey: "build-42" });
    const again = await user.client.createJob({ modelId: model.id, preset: "analyze" }, { idempotencyKey: "build-42" });
    expect(again.id).toBe(first.id);
    expect(await env.prisma.job.count({ where: { workspaceId: user.workspaceId } })).toBe(1);
    expect(await countQueueMessages(first.id)).toBe(1);

    const conflict = await catchError(() => user.client.createJob({ modelId: model.id, preset: "fp16" }, { idempotencyKey: "build-42" }));
    expect(conflict.data?.httpStatus).toBe(422);
    expect(conflict.message).toBe("this Idempotency-Key was already used for a different request: use a new key for a new job");

    const other = await user.client.createJob({ modelId: model.id, preset: "analyze" }, { idempotencyKey: "build-43" });
    expect(other.id).not.toBe(first.id);
    const bad = await catchError(() => user.client.createJob({ modelId: model.id, preset: "analyze" }, { idempotencyKey: "has space" }));
    expect(bad.data?.httpStatus).toBe(400);
  });

  test("concurrent retries with one key create exactly one job (raw HTTP header, as curl would send it)", async () => {
    const user = await signUpUser(env, "idem-race");
    const model = await addReadyModel(user.workspaceId);
    const send = () =>
      fetch(`${env.url}/api/trpc/jobs.create`, {
        method: "POST",
        headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", "idempotency-key": "race-1" },
        body: JSON.stringify({ modelId: model.id, pipeline: { steps: [{ pass: "analyze" }] } }),
      }).then(async (r) => ({ status: r.status, id: ((await r.json()) as { result: { data: { id: string } } }).result.data.id }));
    const results = await Promise.all([send(), send(), send()]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await env.prisma.job.count({ where: { workspaceId: user.workspaceId } })).toBe(1);
  });
});
