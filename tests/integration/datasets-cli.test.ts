/**
 * The CLI side of datasets: `condense datasets upload FILE` prints the dataset id and what the server found;
 * `condense jobs create --calib FILE --eval ID` uploads the file first and attaches both to the job; data that
 * does not fit the model is refused with the server's message and exit code 1.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeNpz } from "../../worker/data/npz";
import { getFixtureModel } from "../fixtures/fetch-models";
import { signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";
import { runCondenseIn } from "./cli-kit";

let env: TApiTestEnv;
let tmp: string;
let user: Awaited<ReturnType<typeof signUpUser>>;
let modelId: string;
beforeAll(async () => {
  env = await startApiTestEnv("datasetscli");
  tmp = await mkdtemp(path.join(os.tmpdir(), "condense-datasets-cli-"));
  user = await signUpUser(env, "cli");
  modelId = (await user.client.uploadModel(await getFixtureModel("ppocr_cls"))).id;
});
afterAll(async () => {
  await env?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const images = (n: number) => ({ dtype: "float32" as const, dims: [n, 3, 48, 192], data: new Float32Array(n * 3 * 48 * 192).fill(0.5) });

describe("condense datasets / jobs create --calib --eval", () => {
  test("upload prints the id and the summary; --calib FILE uploads and attaches; --eval takes an id", async () => {
    const login = await runCondenseIn(tmp, ["login", "--url", env.url, "--email", user.email, "--password-stdin"], { stdin: `${user.password}\n` });
    expect(login.code).toBe(0);
    await writeFile(path.join(tmp, "eval.npz"), encodeNpz({ x: images(4), labels: { dtype: "int64", dims: [4], data: new BigInt64Array([0n, 1n, 0n, 1n]) } }));
    await writeFile(path.join(tmp, "calib.npz"), encodeNpz({ arr_0: images(2) }));

    const upload = await runCondenseIn(tmp, ["datasets", "upload", "eval.npz"]);
    expect(upload.code, upload.stderr).toBe(0);
    const evalId = upload.stdout.trim();
    expect(upload.stderr).toContain(`dataset ${evalId} "eval.npz" is ready`);
    expect(upload.stderr).toContain("npz with 4 samples and labels; x float32[4, 3, 48, 192]");

    const create = await runCondenseIn(tmp, ["jobs", "create", "--model", modelId, "--preset", "int8-static", "--calib", "calib.npz", "--eval", evalId, "--json"]);
    expect(create.code, create.stderr).toBe(0);
    expect(create.stderr).toMatch(/calibration data: dataset \S+ "calib\.npz" \(2 samples\)/);
    const job = JSON.parse(create.stdout) as { calibrationDatasetId: string; evaluationDatasetId: string };
    expect(job.evaluationDatasetId).toBe(evalId);
    const calib = await user.client.api.datasets.get.query({ datasetId: job.calibrationDatasetId });
    expect(calib).toMatchObject({ name: "calib.npz", state: "ready", summary: { sampleCount: 2 } });

    // `jobs logs` prints what the worker wrote, in order, and `--follow` returns once the job is finished.
    const jobId = (JSON.parse(create.stdout) as { id: string }).id;
    await env.prisma.jobLog.createMany({
      data: [
        { jobId, attempt: 1, level: "info", message: "stage: calibrating" },
        { jobId, attempt: 1, level: "warn", message: "3 layers kept in float" },
      ],
    });
    await env.prisma.job.update({ where: { id: jobId }, data: { state: "succeeded", finishedAt: new Date() } });
    const logs = await runCondenseIn(tmp, ["jobs", "logs", jobId, "--follow"]);
    expect(logs.code, logs.stderr).toBe(0);
    const lines = logs.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ info  #1 stage: calibrating$/);
    expect(lines[1]).toMatch(/ warn  #1 3 layers kept in float$/);
  });

  test("data that does not fit the model: exit 1 with the server's message, no job, and the uploaded file removed again", async () => {
    await writeFile(path.join(tmp, "bad.npz"), encodeNpz({ image: images(2), mask: images(2) }));
    const before = await env.prisma.job.count();
    const datasetsBefore = await env.prisma.dataset.count();
    const res = await runCondenseIn(tmp, ["jobs", "create", "--model", modelId, "--preset", "int8-static", "--calib", "bad.npz"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("calibration dataset bad.npz: 'image', 'mask' match no model input (the model's inputs are 'x'");
    expect(res.stderr).toMatch(/removed dataset \S+: it was uploaded for this job, which was not created/);
    expect(await env.prisma.job.count()).toBe(before);
    expect(await env.prisma.dataset.count()).toBe(datasetsBefore);
  });
});
