/**
 * `npm start` as a newcomer runs it: `node bin/condense.mjs serve` with no DATABASE_URL / S3_ENDPOINT, so it starts
 * embedded PostgreSQL (PGlite) and S3 (s3rver), the web app and a worker. A user signs up, uploads a real model,
 * runs `analyze` and downloads report.json; after a restart on the same DATA_DIR the model, job and artifact are
 * still there. Also: a taken port and a bad setting each give one clear line and the right exit code.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCondenseClient, signIn } from "../../client";
import { buildWebApp, checkWebBuild } from "../../server/start/build-web-app";
import { REPO_ROOT } from "../../server/start/run-migrations";
import { getFixtureModel } from "../fixtures/fetch-models";
import { startTestStack } from "./harness";

const BIN = path.join(REPO_ROOT, "bin", "condense.mjs");
const START_TIMEOUT_MS = 300_000;

type TServe = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

let dataDir: string;
let tmp: string;
let ports: { web: number; pg: number; s3: number };
const running = new Set<ChildProcess>();

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The environment of a fresh clone: nothing configured but the ports and the data folder. */
function buildServeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith("S3_") || key === "DATABASE_URL" || key === "PUBLIC_URL") delete env[key];
  }
  return {
    ...env,
    PORT: String(ports.web),
    EMBEDDED_PG_PORT: String(ports.pg),
    EMBEDDED_S3_PORT: String(ports.s3),
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    WORKER_HEARTBEAT_SECONDS: "1",
    ...extra,
  };
}

function spawnServe(env: NodeJS.ProcessEnv, args: string[] = []): TServe {
  const child = spawn(process.execPath, [BIN, "serve", ...args], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

/** Waits for the ready banner and a 200 from /api/health; returns the wall time from spawn. */
async function waitUntilServing(serve: TServe, url: string): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < START_TIMEOUT_MS) {
    if (serve.child.exitCode !== null) throw new Error(`serve exited with ${serve.child.exitCode}:\n${serve.output().slice(-3000)}`);
    if (serve.output().includes("Condense is running at")) {
      const res = await fetch(`${url}/api/health`).catch(() => undefined);
      if (res?.status === 200) return Date.now() - started;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`serve did not start within ${START_TIMEOUT_MS / 1000} s:\n${serve.output().slice(-3000)}`);
}

async function waitForOutput(serve: TServe, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!serve.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`serve did not print "${text}":\n${serve.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pids of the live children of `parentPid` whose command line contains `match` (Linux /proc). */
async function findChildPids(parentPid: number, match: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // Field 4 (after "pid (comm) state") is the parent pid; comm may contain spaces, so split after ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid !== parentPid) continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (cmdline.includes(match)) found.push(Number(entry));
  }
  return found;
}

async function stopServe(serve: TServe): Promise<number | null> {
  serve.child.kill("SIGTERM");
  return serve.exited;
}

beforeAll(async () => {
  [dataDir, tmp] = await Promise.all([
    mkdtemp(path.join(os.tmpdir(), "condense-start-data-")),
    mkdtemp(path.join(os.tmpdir(), "condense-start-tmp-")),
  ]);
  ports = { web: await findFreePort(), pg: await findFreePort(), s3: await findFreePort() };
  // Build the portal once here (not inside serve's start-up, so the start timing below is the platform's own).
  const state = await checkWebBuild();
  if (state !== "fresh") {
    const { durationMs } = await buildWebApp();
    console.log(`[embedded-start] portal build (${state}): ${(durationMs / 1000).toFixed(1)} s`);
  }
}, 600_000);

afterAll(async () => {
  for (const child of running) child.kill("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
  await rm(tmp, { recursive: true, force: true });
});

describe("npm start (condense serve) on embedded defaults", () => {
  test("serves the platform end to end, and a restart keeps models, jobs and artifacts", async () => {
    const url = `http://127.0.0.1:${ports.web}`;
    const modelPath = await getFixtureModel("silero_vad_legacy");
    const modelBytes = await readFile(modelPath);

    // --no-build: beforeAll built the portal; in a checkout that others edit meanwhile, serve would rebuild it.
    const first = spawnServe(buildServeEnv(), ["--no-build"]);
    const coldMs = await waitUntilServing(first, url);
    expect(first.output()).toContain(`open ${url} and create an account`);
    expect(first.output()).toContain(`embedded PostgreSQL on 127.0.0.1:${ports.pg}`);
    expect(existsSync(path.join(dataDir, "pg", "PG_VERSION"))).toBe(true);

    const email = `start-${Date.now()}@example.com`;
    const password = "correct horse battery";
    const session = await createCondenseClient({ baseUrl: url }).api.auth.signUp.mutate({ email, password });
    const client = createCondenseClient({ baseUrl: url, sessionToken: session.token });
    const model = await client.uploadModel(modelPath, { name: "vad" });
    expect(model).toMatchObject({ state: "ready", sizeBytes: modelBytes.byteLength });
    const created = await client.createJob({ modelId: model.id, preset: "analyze" });
    const job = await client.waitForJob(created.id, { signal: AbortSignal.timeout(180_000), pollMs: 500 });
    expect(job.state, `job error: ${job.error}; serve output:\n${first.output().slice(-2000)}`).toBe("succeeded");
    const reportPath = path.join(tmp, "report-1.json");
    await client.downloadArtifact(job.id, "report.json", reportPath);
    const reportBytes = await readFile(reportPath);
    const report = JSON.parse(reportBytes.toString("utf8")) as { original: { sizeBytes: number } };
    expect(report.original.sizeBytes).toBe(modelBytes.byteLength);

    // A crashed worker is restarted, and the new one runs jobs.
    const [workerPid] = await findChildPids(first.child.pid!, "worker");
    expect(workerPid).toBeGreaterThan(0);
    process.kill(workerPid, "SIGKILL");
    await waitForOutput(first, "worker exited (SIGKILL); restarting it in 1 s");
    const second = await client.createJob({ modelId: model.id, preset: "analyze" });
    expect((await client.waitForJob(second.id, { signal: AbortSignal.timeout(180_000), pollMs: 500 })).state).toBe("succeeded");
    const [restartedPid] = await findChildPids(first.child.pid!, "worker");
    expect(restartedPid).not.toBe(workerPid);

    const firstExit = await stopServe(first);
    expect(firstExit).toBe(0);
    expect(first.output()).toMatch(/stopped in \d+\.\d s/);
    // PGlite was closed cleanly: its lock is released.
    expect(existsSync(path.join(dataDir, "pg.lock"))).toBe(false);

    const restarted = spawnServe(buildServeEnv(), ["--no-build"]);
    const warmMs = await waitUntilServing(restarted, url);
    const token = await signIn(url, email, password);
    const again = createCondenseClient({ baseUrl: url, sessionToken: token });
    const models = await again.api.models.list.query({});
    expect(models.items.map((m) => m.id)).toEqual([model.id]);
    expect((await again.api.jobs.list.query({})).items.map((j) => j.id).sort()).toEqual([job.id, second.id].sort());
    const jobAfter = await again.getJob(job.id);
    expect(jobAfter).toMatchObject({ state: "succeeded", modelId: model.id });
    const reportAfterPath = path.join(tmp, "report-2.json");
    await again.downloadArtifact(job.id, "report.json", reportAfterPath);
    expect((await readFile(reportAfterPath)).equals(reportBytes)).toBe(true);
    expect(await stopServe(restarted)).toBe(0);

    const steps = (serve: TServe) => serve.output().split("\n").filter((l) => /^(embedded|applied|portal|building|rebuilding|Condense is running)/.test(l));
    console.log(
      `[embedded-start] serve ready: first start ${(coldMs / 1000).toFixed(1)} s (new data folder), restart ${(warmMs / 1000).toFixed(1)} s\n` +
        `  first:   ${steps(first).join("\n           ")}\n  restart: ${steps(restarted).join("\n           ")}`,
    );
  }, 900_000);

  test("with DATABASE_URL and S3_ENDPOINT set it uses them and starts no embedded services", async () => {
    const stack = await startTestStack("serve-external");
    const ownDataDir = await mkdtemp(path.join(os.tmpdir(), "condense-start-external-"));
    try {
      const port = await findFreePort();
      const serve = spawnServe({ ...buildServeEnv({ DATA_DIR: ownDataDir, PORT: String(port) }), ...stack.env }, ["--no-worker", "--no-build"]);
      const url = `http://127.0.0.1:${port}`;
      await waitUntilServing(serve, url);
      const ready = await fetch(`${url}/api/ready`);
      expect(await ready.json()).toMatchObject({ ok: true, database: "ok", storage: "ok" });
      expect(serve.output()).toContain("PostgreSQL at DATABASE_URL + S3 at " + stack.env.S3_ENDPOINT);
      expect(serve.output()).not.toContain("embedded PostgreSQL on");
      expect(existsSync(path.join(ownDataDir, "pg"))).toBe(false);
      expect(await stopServe(serve)).toBe(0);
    } finally {
      await stack.stop();
      await rm(ownDataDir, { recursive: true, force: true });
    }
  }, 300_000);

  test("a port in use is one clear line and exit 1; a bad setting is one line and exit 2", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const busy = spawnServe(buildServeEnv({ EMBEDDED_PG_PORT: String(taken) }));
      expect(await busy.exited).toBe(1);
      expect(busy.output()).toContain(`condense: port ${taken} on 127.0.0.1 (embedded PostgreSQL) is already in use: stop what uses it or set EMBEDDED_PG_PORT to another port`);
      expect(busy.output()).not.toMatch(/^\s+at /m);
    } finally {
      blocker.close();
    }

    const bad = spawnServe(buildServeEnv({ PORT: "not-a-port" }));
    expect(await bad.exited).toBe(2);
    expect(bad.output().trim().split("\n")).toEqual([expect.stringMatching(/^condense: invalid config PORT: /)]);

    const badFlag = spawnServe(buildServeEnv(), ["--port", "0"]);
    expect(await badFlag.exited).toBe(2);
    expect(badFlag.output()).toContain("--port must be a whole number from 1 to 65535");
  }, 120_000);
});
