/**
 * Job logs against a real database: the worker's writer batches lines into JobLog, caps them per attempt and
 * redacts secrets; jobs.logs pages them by id for the owner's workspace only.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createJobLogWriter } from "../../worker/jobs/job-log-writer";
import { getFixtureModel } from "../fixtures/fetch-models";
import { catchError, signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";

let env: TApiTestEnv;
let alice: Awaited<ReturnType<typeof signUpUser>>;
let jobId: string;
beforeAll(async () => {
  env = await startApiTestEnv("joblogs");
  alice = await signUpUser(env, "alice");
  const model = await alice.client.uploadModel(await getFixtureModel("silero_vad_legacy"));
  jobId = (await alice.client.createJob({ modelId: model.id, preset: "analyze" })).id;
});
afterAll(async () => {
  await env?.stop();
});

describe("job logs", () => {
  test("lines are stored in order in batches, capped per attempt with one truncation line, secrets redacted", async () => {
    const writer = createJobLogWriter(env.prisma, { jobId, attempt: 1 }, { maxLines: 5, flushMs: 60_000 });
    writer.info("stage: downloading model");
    writer.warn("GET https://s3.example.com/b/ws/x/model.onnx?X-Amz-Signature=abcdef&X-Amz-Credential=AKIA failed");
    writer.info("key cnd_live_AbCdEf123456 and secret whsec_c2VjcmV0 and Authorization: Bearer eyJhbGciOi.xyz");
    expect(await env.prisma.jobLog.count({ where: { jobId } })).toBe(0); // buffered until a flush
    await writer.flush();
    expect(await env.prisma.jobLog.count({ where: { jobId } })).toBe(3);
    for (let i = 0; i < 10; i++) writer.info(`line ${i}`);
    writer.error("never stored: past the cap");
    await writer.close();
    writer.info("after close");
    await writer.flush();

    const { lines, nextAfterId } = await alice.client.getJobLogs(jobId);
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ["info", "stage: downloading model"],
      ["warn", "GET https://s3.example.com/b/ws/x/model.onnx?… failed"],
      ["info", "key cnd_live_… and secret whsec_… and Authorization: Bearer …"],
      ["info", "line 0"],
      ["info", "line 1"],
      ["warn", "log truncated: only the first 5 lines of this attempt are kept"],
    ]);
    expect(lines.every((l) => l.attempt === 1)).toBe(true);
    expect(nextAfterId).toBe(lines[5]!.id);

    // Paging by id: afterId returns only newer lines; a new attempt gets its own budget.
    const page = await alice.client.api.jobs.logs.query({ jobId, afterId: lines[2]!.id, limit: 2 });
    expect(page.lines.map((l) => l.message)).toEqual(["line 0", "line 1"]);
    expect(page.nextAfterId).toBe(lines[4]!.id);
    const second = createJobLogWriter(env.prisma, { jobId, attempt: 2 });
    second.info("attempt 2 started");
    await second.close();
    const newer = await alice.client.getJobLogs(jobId, nextAfterId);
    expect(newer.lines.map((l) => [l.attempt, l.message])).toEqual([[2, "attempt 2 started"]]);
    expect(newer.jobState).toBe("queued");
  });

  test("another workspace's job is NOT_FOUND; a malformed afterId is a BAD_REQUEST", async () => {
    const bob = await signUpUser(env, "bob");
    const err = await catchError(() => bob.client.getJobLogs(jobId));
    expect(err.data?.httpStatus).toBe(404);
    expect(err.message).toBe(`job ${jobId} not found`);
    const bad = await catchError(() => alice.client.api.jobs.logs.query({ jobId, afterId: "12; DROP TABLE" }));
    expect(bad.data?.httpStatus).toBe(400);
  });
});
