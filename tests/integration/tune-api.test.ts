/**
 * tune.create / tune.get over the real HTTP API (issue 10): goal validation with errors that name the field, the
 * tune job's DTO (kind, goal with defaults), the live view before any trial, workspace isolation.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { catchError, signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";

let env: TApiTestEnv;

beforeAll(async () => {
  env = await startApiTestEnv("tune-api");
});

afterAll(async () => {
  await env?.stop();
});

async function addReadyModel(workspaceId: string) {
  return env.prisma.model.create({ data: { workspaceId, name: "m.onnx", state: "ready", sizeBytes: 10n, storageKey: `k-${Date.now()}-${Math.random()}` } });
}

describe("tune.create", () => {
  test("queues a tune job with the goal's defaults; tune.get shows it with no trials yet", async () => {
    const alice = await signUpUser(env, "tune-alice");
    const model = await addReadyModel(alice.workspaceId);
    const job = await alice.client.api.tune.create.mutate({ modelId: model.id, goal: { floor: { metric: "cosine", min: 0.99 } } });
    expect(job).toMatchObject({ kind: "tune", state: "queued", modelId: model.id, parentJobId: null, pipeline: { steps: [] } });
    expect(job.goal).toEqual({ floor: { metric: "cosine", min: 0.99 }, objective: "latency", budget: { maxTrials: 20 } });
    const row = await env.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.kind).toBe("tune");

    const view = await alice.client.api.tune.get.query({ jobId: job.id });
    expect(view.job.id).toBe(job.id);
    expect(view.trials).toEqual([]);
    expect(view.reportFinal).toBe(false);
    expect(view.report).toMatchObject({ tuneJobId: job.id, trials: [], recommendedJobId: null, stoppedBecause: "running" });

    // Another workspace cannot see it.
    const bob = await signUpUser(env, "tune-bob");
    const err = await catchError(() => bob.client.api.tune.get.query({ jobId: job.id }));
    expect(err.data?.httpStatus).toBe(404);
  });

  test("a bad goal is a 400 naming the field; an accuracy floor without evaluation data says what to pass", async () => {
    const carol = await signUpUser(env, "tune-carol");
    const model = await addReadyModel(carol.workspaceId);
    const tooMany = await catchError(() => carol.client.api.tune.create.mutate({ modelId: model.id, goal: { floor: { metric: "cosine", min: 0.99 }, budget: { maxTrials: 80 } } }));
    expect(tooMany.data?.httpStatus).toBe(400);
    expect(tooMany.message).toMatch(/invalid tune goal: budget\.maxTrials: .*50/);
    const badMetric = await catchError(() => carol.client.api.tune.create.mutate({ modelId: model.id, goal: { floor: { metric: "psnr", min: 30 } } }));
    expect(badMetric.message).toMatch(/floor\.metric/);
    const accuracy = await catchError(() => carol.client.api.tune.create.mutate({ modelId: model.id, goal: { floor: { metric: "accuracy", min: 0.9 } } }));
    expect(accuracy.message).toMatch(/accuracy floor needs an evaluation dataset/);
    // Datasets get jobs.create's checks: someone else's is not found, one still uploading is refused.
    const erin = await signUpUser(env, "tune-erin");
    const foreign = await env.prisma.dataset.create({
      data: { workspaceId: erin.workspaceId, name: "d.npz", state: "ready", sizeBytes: 10n, storageKey: `d-${Date.now()}-${Math.random()}` },
    });
    const notMine = await catchError(() => carol.client.api.tune.create.mutate({ modelId: model.id, goal: { floor: { metric: "cosine", min: 0.99 } }, calibrationDatasetId: foreign.id }));
    expect(notMine.data?.httpStatus).toBe(404);
    expect(notMine.message).toBe(`dataset ${foreign.id} not found`);
    const pending = await env.prisma.dataset.create({
      data: { workspaceId: carol.workspaceId, name: "p.npz", state: "uploading", sizeBytes: 10n, storageKey: `p-${Date.now()}-${Math.random()}` },
    });
    const notReady = await catchError(() => carol.client.api.tune.create.mutate({ modelId: model.id, goal: { floor: { metric: "cosine", min: 0.99 } }, evaluationDatasetId: pending.id }));
    expect(notReady.message).toMatch(/evaluation dataset p\.npz is not ready yet/);
    expect(await env.prisma.job.count({ where: { workspaceId: carol.workspaceId } })).toBe(0);
  });

  test("tune.get on a compress job says to use jobs.get", async () => {
    const dave = await signUpUser(env, "tune-dave");
    const model = await addReadyModel(dave.workspaceId);
    const job = await dave.client.api.jobs.create.mutate({ modelId: model.id, preset: "analyze" });
    const err = await catchError(() => dave.client.api.tune.get.query({ jobId: job.id }));
    expect(err.data?.httpStatus).toBe(400);
    expect(err.message).toMatch(/compress job, not a tune job: use jobs\.get/);
  });
});
