/**
 * The `condense` CLI end to end, as a user runs it: the real binary (node bin/condense.mjs) spawned against the real
 * tRPC API (served over HTTP in this process, on real PostgreSQL + s3rver) and a real worker child process.
 * login → upload a real ONNX model → jobs create --preset analyze --wait → download report.json (bytes equal the
 * stored artifact); plus the one-line errors and exit codes users and scripts rely on.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCondenseClient } from "../../client";
import { getObjectBytes } from "../../server/storage/object-store";
import { getFixtureModel } from "../fixtures/fetch-models";
import { startApiTestEnv, signUpUser, type TApiTestEnv } from "./api-kit";
import { runCondenseIn, type TRunOptions, type TRunResult } from "./cli-kit";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(REPO_ROOT, "bin", "condense.mjs");


let env: TApiTestEnv;
let worker: ChildProcess;
let workerStderr = "";
let tmp: string;
let user: Awaited<ReturnType<typeof signUpUser>>;
let modelPath: string;

const runCondense = (args: string[], opts?: TRunOptions): Promise<TRunResult> => runCondenseIn(tmp, args, opts);

beforeAll(async () => {
  env = await startApiTestEnv("cli");
  tmp = await mkdtemp(path.join(os.tmpdir(), "condense-cli-"));
  user = await signUpUser(env, "cli");
  modelPath = await getFixtureModel("silero_vad_legacy");
  worker = spawn(process.execPath, [BIN, "worker"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env.stack.env, WORKER_HEARTBEAT_SECONDS: "1", WORKER_LEASE_SECONDS: "10", LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  worker.stderr!.on("data", (c: Buffer) => (workerStderr += c.toString()));
});

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker.once("exit", r));
    worker.kill("SIGKILL");
    await exited;
  }
  await env?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("condense CLI against a real API and worker", () => {
  it("logs in, uploads, runs analyze with --wait, and downloads report.json byte for byte", async () => {
    // login: password from stdin, session saved 0600.
    const login = await runCondense(["login", "--url", env.url, "--email", user.email, "--password-stdin"], { stdin: `${user.password}\n` });
    expect(login.stderr).toContain(`signed in to ${env.url} as ${user.email}`);
    expect(login.code).toBe(0);
    const credFile = path.join(tmp, "xdg", "condense", "credentials.json");
    expect((await stat(credFile)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(credFile, "utf8")) as { url: string; sessionToken: string };
    expect(saved.url).toBe(env.url);
    // The saved token really authenticates.
    expect((await createCondenseClient({ baseUrl: env.url, sessionToken: saved.sessionToken }).api.auth.me.query()).user.email).toBe(user.email);

    // upload: model id on stdout, progress and result on stderr, model ready with the file's SHA-256.
    const upload = await runCondense(["upload", modelPath, "--name", "vad"]);
    expect(upload.stderr).toMatch(/upload silero_vad_legacy\.onnx: done, 1\.\d+ MiB in/);
    expect(upload.code).toBe(0);
    const modelId = upload.stdout.trim();
    const model = await user.client.api.models.get.query({ modelId });
    const fileBytes = await readFile(modelPath);
    expect(model).toMatchObject({ name: "vad", state: "ready", sizeBytes: fileBytes.byteLength });
    expect(model.sha256).toBe(createHash("sha256").update(fileBytes).digest("hex"));

    const models = await runCondense(["models", "list", "--json"]);
    expect(models.code).toBe(0);
    expect((JSON.parse(models.stdout) as { items: { id: string; state: string }[] }).items).toEqual([expect.objectContaining({ id: modelId, state: "ready" })]);

    // jobs create --wait: follows the job to the end, exit 0, job id on stdout.
    const create = await runCondense(["jobs", "create", "--model", modelId, "--preset", "analyze", "--wait"], { timeoutMs: 150_000 });
    expect(create.stderr, `worker stderr: ${workerStderr.slice(-2000)}`).toMatch(/job \S+ succeeded in \d+/);
    expect(create.code).toBe(0);
    const jobId = create.stdout.trim();
    // Not a TTY: state changes are logged as lines, never with carriage returns.
    expect(create.stderr).toContain(`job ${jobId}: `);
    expect(create.stderr).not.toContain("\r");

    const get = await runCondense(["jobs", "get", jobId, "--json"]);
    expect(get.code).toBe(0);
    const job = JSON.parse(get.stdout) as { state: string; progress: number; artifacts: { name: string; sha256: string; sizeBytes: number }[] };
    expect(job.state).toBe("succeeded");
    const reportMeta = job.artifacts.find((a) => a.name === "report.json");
    expect(reportMeta).toBeDefined();

    const text = await runCondense(["jobs", "get", jobId]);
    expect(text.stdout).toMatch(/^state\s+succeeded$/m);
    expect(text.stdout).toMatch(/^\s+report\.json\s+/m);

    // download: bytes equal the artifact stored by the worker.
    const download = await runCondense(["download", jobId, "--name", "report.json", "-o", "out-report.json"]);
    expect(download.stderr).toContain("sha256");
    expect(download.code).toBe(0);
    const downloaded = await readFile(path.join(tmp, "out-report.json"));
    const artifact = await env.prisma.artifact.findFirstOrThrow({ where: { jobId, name: "report.json" } });
    const stored = await getObjectBytes(env.store, artifact.storageKey);
    expect(Buffer.from(downloaded).equals(Buffer.from(stored))).toBe(true);
    expect(createHash("sha256").update(downloaded).digest("hex")).toBe(reportMeta!.sha256);
    const report = JSON.parse(downloaded.toString("utf8")) as { original: { sizeBytes: number } };
    expect(report.original.sizeBytes).toBe(fileBytes.byteLength);

    // jobs list: a table with the job.
    const list = await runCondense(["jobs", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout.split("\n")[0]).toMatch(/^ID\s+STATE\s+PIPELINE\s+MODEL\s+CREATED$/);
    expect(list.stdout).toMatch(new RegExp(`^${jobId}\\s+succeeded\\s+preset analyze\\s+${modelId}`, "m"));

    // jobs cancel on a finished job: the server's reason, one line, exit 1.
    const cancel = await runCondense(["jobs", "cancel", jobId]);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(cancel.stderr).toMatch(/^condense: .*finished/);
  }, 240_000);

  it("rejects malformed --pipeline JSON and unknown presets in one line, without creating a job", async () => {
    const { user: other, modelId } = await seedReadyModel();
    const auth = { CONDENSE_URL: env.url, CONDENSE_API_KEY: other.token };
    const jobsBefore = await env.prisma.job.count();

    const malformed = await runCondense(["jobs", "create", "--model", modelId, "--pipeline", '{"steps": [{"pass": "analyze"'], { extraEnv: auth });
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/^condense: --pipeline: pipeline is not valid JSON: .+\n$/);

    await writeFile(path.join(tmp, "bad-pipeline.json"), '{"steps":[{"pass":"shrink"}]}');
    const badFile = await runCondense(["jobs", "create", "--model", modelId, "--pipeline", "@bad-pipeline.json"], { extraEnv: auth });
    expect(badFile.code).toBe(1);
    expect(badFile.stderr).toMatch(/^condense: pipeline file bad-pipeline\.json: invalid pipeline: steps\[0\]\.pass: .+\n$/);

    const preset = await runCondense(["jobs", "create", "--model", modelId, "--preset", "turbo"], { extraEnv: auth });
    expect(preset.code).toBe(1);
    expect(preset.stderr).toMatch(/^condense: unknown preset "turbo": choose one of analyze.*\n$/);

    expect(await env.prisma.job.count()).toBe(jobsBefore);

    // The server's own validation is one line too (a preset check it does even when the CLI is bypassed is
    // covered by the API tests); here: a job for a model that is not the caller's.
    const foreign = await runCondense(["jobs", "create", "--model", "no-such-model", "--preset", "analyze"], { extraEnv: auth });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(foreign.stderr).toMatch(/^condense: .*not found/);
    expect(await env.prisma.job.count()).toBe(jobsBefore);
  }, 120_000);

  it("gives one-line reasons for wrong passwords, missing login, unknown jobs and usage errors", async () => {
    const cleanXdg = { XDG_CONFIG_HOME: path.join(tmp, "xdg-empty") };

    const wrong = await runCondense(["login", "--url", env.url, "--email", user.email, "--password-stdin"], { stdin: "not the password", extraEnv: cleanXdg });
    expect(wrong).toMatchObject({ code: 1, stderr: "condense: email or password is incorrect\n" });

    const notSignedIn = await runCondense(["models", "list"], { extraEnv: { ...cleanXdg, CONDENSE_URL: env.url } });
    expect(notSignedIn.code).toBe(1);
    expect(notSignedIn.stderr).toBe(`condense: not signed in to ${env.url}: run \`condense login --url ${env.url}\` or set CONDENSE_API_KEY\n`);

    const badToken = await runCondense(["models", "list"], { extraEnv: { ...cleanXdg, CONDENSE_URL: env.url, CONDENSE_API_KEY: "nope" } });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/^condense: you are not signed in[^\n]*\n$/);

    const unknownJob = await runCondense(["jobs", "get", "job-that-does-not-exist"], { extraEnv: { CONDENSE_URL: env.url, CONDENSE_API_KEY: user.token } });
    expect(unknownJob).toMatchObject({ code: 1, stderr: "condense: job job-that-does-not-exist not found\n" });

    const usage = await runCondense(["upload"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr.split("\n").slice(0, 2)).toEqual(["condense: missing FILE", "usage: condense upload FILE [options]"]);

    const unknown = await runCondense(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split("\n")[0]).toBe('condense: unknown command "frobnicate"');

    // No stack traces unless asked for.
    for (const r of [wrong, notSignedIn, badToken, unknownJob]) expect(r.stderr).not.toMatch(/\n\s+at /);
    const debug = await runCondense(["jobs", "get", "x"], { extraEnv: { CONDENSE_URL: env.url, CONDENSE_API_KEY: user.token, CONDENSE_DEBUG: "1" } });
    expect(debug.stderr.split("\n")[0]).toBe("condense: job x not found");
    expect(debug.stderr).toMatch(/\n\s+at /);
  }, 120_000);

  it("logout ends the session on the server and deletes the saved file", async () => {
    const xdg = { XDG_CONFIG_HOME: path.join(tmp, "xdg-logout") };
    const login = await runCondense(["login", "--url", env.url, "--email", user.email], { extraEnv: { ...xdg, CONDENSE_PASSWORD: user.password } });
    expect(login.code).toBe(0);
    const credFile = path.join(tmp, "xdg-logout", "condense", "credentials.json");
    const { sessionToken } = JSON.parse(await readFile(credFile, "utf8")) as { sessionToken: string };

    const logout = await runCondense(["logout"], { extraEnv: xdg });
    expect(logout.code).toBe(0);
    expect(logout.stderr).toContain(`signed out of ${env.url}`);
    await expect(stat(credFile)).rejects.toThrow(/ENOENT/);
    await expect(createCondenseClient({ baseUrl: env.url, sessionToken }).api.auth.me.query()).rejects.toThrow(/not signed in/);
  }, 60_000);
});

/** A second user with a ready model, uploaded through the client (not the CLI under test). */
async function seedReadyModel(): Promise<{ user: Awaited<ReturnType<typeof signUpUser>>; modelId: string }> {
  const other = await signUpUser(env, "cli-errors");
  const model = await other.client.uploadModel(modelPath, { name: "vad" });
  return { user: other, modelId: model.id };
}
