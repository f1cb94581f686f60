/**
 * Scale-out proof on one machine: 3 worker processes on one PostgreSQL, 30 short jobs plus one long one.
 * During the run one worker is SIGKILLed mid-job (its job is retried elsewhere), every backend connection of the
 * database is terminated twice (web and workers must reconnect), and one worker gets SIGTERM (it drains).
 * In the end every job succeeded exactly once, with exactly one set of artifacts.
 */
import { createServer } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createCondenseClient } from "../../client";
import { startApiServer, type TApiServer } from "../../server/api/http-server";
import { loadConfig } from "../../server/config";
import { parsePrometheusText } from "../../server/metrics/prometheus-text";
import { renderWebMetrics } from "../../server/metrics/web-metrics";
import { getObjectBytes } from "../../server/storage/object-store";
import {
  buildAnalyzePipeline,
  buildJobPrefix,
  killWorker,
  listKeys,
  spawnWorker,
  startWorkerKit,
  waitFor,
  type TWorkerKit,
  type TWorkerProcess,
} from "./worker-test-kit";

let kit: TWorkerKit;
let api: TApiServer;
const workers = new Map<string, TWorkerProcess>();

beforeAll(async () => {
  kit = await startWorkerKit("ops-scale");
  const config = loadConfig(kit.stack.env as NodeJS.ProcessEnv);
  api = await startApiServer({ prisma: kit.prisma, store: kit.store, config, enqueueJob: (jobId) => kit.queue.enqueue(jobId) });
});

afterAll(async () => {
  for (const w of workers.values()) await killWorker(w);
  await api?.close();
  await kit?.stop();
});

/** `count` distinct free ports: all listeners stay open until every port is taken, so none is handed out twice. */
async function findFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const srv = createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => resolve(srv));
      }),
    ),
  );
  const ports = servers.map((srv) => (srv.address() as { port: number }).port);
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  return ports;
}

/**
 * Terminates every backend connected to the test database (web, pg-boss and Prisma pools of all processes, this
 * test's own client included): what a PostgreSQL restart looks like to clients. Runs from a separate connection.
 */
async function terminateAllConnections(): Promise<{ count: number; applications: string[] }> {
  const admin = new pg.Client({ connectionString: kit.stack.databaseUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ application_name: string }>(
      `SELECT application_name, pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    return { count: rows.length, applications: rows.map((r) => r.application_name) };
  } finally {
    await admin.end();
  }
}

function findWorkerOf(workerId: string | null): [string, TWorkerProcess] | undefined {
  if (!workerId) return undefined;
  return [...workers.entries()].find(([id]) => workerId.startsWith(`${id}-`));
}

// Runs alone (vitest project "chaos"): its kills and connection drops are timed against the rest of the machine.
test("3 workers, 31 jobs, a SIGKILL, two connection drops and a SIGTERM: every job succeeds exactly once", async () => {
  // Every worker serves metrics; the assertions read the busiest one that was neither killed nor stopped.
  const ports = await findFreePorts(4);
  const metricsPorts = new Map(["w1", "w2", "w3", "w4"].map((id, i) => [id, ports[i]!] as const));
  const spawn = (id: string, env: Record<string, string> = {}) => {
    const w = spawnWorker(kit, ["--id", id], env);
    workers.set(id, w);
    return w;
  };
  for (const id of ["w1", "w2", "w3"]) spawn(id, { WORKER_METRICS_PORT: String(metricsPorts.get(id)) });
  await Promise.all([...workers.values()].map((w) => w.waitForLog((l) => l.msg === "worker started")));

  // Long enough (a few seconds) to be killed mid-run; the 30 short ones take well under a second of compute each.
  const longJobId = await kit.createJob(buildAnalyzePipeline(200));
  const shortJobIds: string[] = [];
  for (let i = 0; i < 30; i++) shortJobIds.push(await kit.createJob(buildAnalyzePipeline(2)));
  const allJobIds = [longJobId, ...shortJobIds];

  // 1. SIGKILL the worker running the long job, mid-job.
  const running = await waitFor(
    () => kit.prisma.job.findUniqueOrThrow({ where: { id: longJobId } }),
    (j) => j.state === "running" && j.progress > 0.1,
    90_000,
    "the long job to be mid-run",
  );
  const [killedId, killed] = findWorkerOf(running.workerId)!;
  killed.child.kill("SIGKILL");
  await killed.exited;
  spawn("w4", { WORKER_METRICS_PORT: String(metricsPorts.get("w4")) });

  // 2. Drop every connection of the database while jobs run (the API's, pg-boss's, Prisma's in all workers).
  const firstDrop = await terminateAllConnections();
  // 3 workers x (pg-boss pool + Prisma pool), the API's pools, this test's client.
  expect(firstDrop.count, firstDrop.applications.join(",")).toBeGreaterThanOrEqual(6);
  expect(firstDrop.applications.filter((a) => a === "condense-queue").length).toBeGreaterThanOrEqual(3);

  // The web tier answers again at once: its pool replaces the dead connections.
  const user = await createCondenseClient({ baseUrl: api.url }).api.auth.signUp.mutate({ email: `ops-${Date.now()}@example.com`, password: "correct horse battery" });
  const client = createCondenseClient({ baseUrl: api.url, sessionToken: user.token });
  expect((await client.api.jobs.list.query({})).items).toEqual([]);

  // 3. SIGTERM a worker while it runs a job: it drains and exits cleanly.
  const busy = await waitFor(
    async () => {
      // A short job's worker: draining it takes a moment, not the long job's remaining runs.
      const rows = await kit.prisma.job.findMany({ where: { state: "running", id: { not: longJobId } }, select: { workerId: true } });
      return rows.map((r) => findWorkerOf(r.workerId)).find((w) => w && w[0] !== killedId);
    },
    (w) => w !== undefined,
    60_000,
    "a busy worker to stop",
  );
  const [stoppedId, stopped] = busy!;
  stopped.child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  const secondDrop = await terminateAllConnections();
  const crashed = [...workers.entries()].filter(([id, w]) => w.child.exitCode !== null && id !== killedId);
  expect(crashed.map(([id, w]) => `${id} exited ${w.child.exitCode}: ${w.stderr().split("\n").filter((l) => !/AWS SDK|node >=22|versions published|will require|continue receiving|security updates|a.co\/|trace-warnings|onnxruntime|^\[m$/.test(l)).join("\n").slice(0, 2500)}`)).toEqual([]);
  expect(secondDrop.count, secondDrop.applications.join(",")).toBeGreaterThanOrEqual(1);
  const stoppedExit = await stopped.exited;
  expect(stoppedExit, JSON.stringify(stopped.logs.slice(-6)) + stopped.stderr().slice(-1500)).toBe(0);
  expect(stopped.logs.some((l) => l.msg === "worker stopped")).toBe(true);

  // 4. Everything completes on the remaining workers.
  const jobs = await waitFor(
    () => kit.prisma.job.findMany({ where: { id: { in: allJobIds } }, include: { artifacts: true } }),
    (js) => js.length === allJobIds.length && js.every((j) => j.state !== "queued" && j.state !== "running"),
    150_000,
    `all jobs to finish; workers: ${[...workers.entries()].map(([id, w]) => `${id} exit=${w.child.exitCode} last=${JSON.stringify(w.logs.slice(-2))}`).join(" | ")}`,
  );
  const notSucceeded = jobs.filter((j) => j.state !== "succeeded").map((j) => ({ id: j.id, state: j.state, error: j.error }));
  const failureLogs = notSucceeded.flatMap((j) => [...workers.values()].flatMap((w) => w.logs.filter((l) => l.jobId === j.id && Number(l.level) >= 40)));
  expect(notSucceeded, JSON.stringify(failureLogs).slice(0, 4000)).toEqual([]);

  const allLogs = [...workers.values()].flatMap((w) => w.logs);
  for (const job of jobs) {
    // Exactly once: one "job succeeded" over all workers, one report.json from the winning attempt, nothing else stored.
    expect(allLogs.filter((l) => l.jobId === job.id && l.msg === "job succeeded"), job.id).toHaveLength(1);
    expect(job.artifacts.map((a) => a.name)).toEqual(["report.json"]);
    expect(job.artifacts[0]!.attempt).toBe(job.attempts);
    expect(await listKeys(kit.store, buildJobPrefix(kit.workspaceId, job.id))).toEqual([job.artifacts[0]!.storageKey]);
    expect(job.progress).toBe(1);
  }
  const longJob = jobs.find((j) => j.id === longJobId)!;
  // Attempt 1 died with its worker; attempt 2 completed, or was handed back by the drained worker and attempt 3 did.
  expect(longJob.attempts).toBeGreaterThanOrEqual(2);
  expect(longJob.attempts).toBeLessThanOrEqual(3);
  expect(findWorkerOf(longJob.workerId)?.[0]).not.toBe(killedId);
  expect(await kit.prisma.artifact.count({ where: { jobId: { in: allJobIds } } })).toBe(allJobIds.length);
  // Work really was spread: at least three different workers published jobs.
  expect(new Set(jobs.map((j) => findWorkerOf(j.workerId)?.[0])).size).toBeGreaterThanOrEqual(3);
  expect(stoppedId).not.toBe(killedId);

  // Every report records where it was measured (provider, versions, opsets, hardware).
  const report = JSON.parse(new TextDecoder().decode(await getObjectBytes(kit.store, longJob.artifacts[0]!.storageKey))) as { provenance: Record<string, unknown>; warnings: string[] };
  expect(report.provenance).toMatchObject({ executionProvider: "cpu", defaultExecutionProvider: "cpu", arch: process.arch, gpus: [] });
  expect(report.provenance.onnxruntimeVersion).toMatch(/^\d+\.\d+\.\d+$/);
  expect((report.provenance.opsets as { version: number }[]).length).toBeGreaterThan(0);
  expect(report.warnings.filter((w) => /CUDA/.test(w))).toEqual([]);

  // 5. Metrics: the web's view of the queue and a surviving worker's own counters.
  const web = parsePrometheusText(await renderWebMetrics(kit.prisma));
  expect(web.find((s) => s.name === "condense_jobs" && s.labels.state === "succeeded")?.value).toBe(allJobIds.length);
  expect(web.find((s) => s.name === "condense_jobs" && s.labels.state === "queued")?.value).toBe(0);
  expect(web.find((s) => s.name === "condense_upload_bytes_total")?.value).toBe(kit.modelBytes.byteLength);
  const succeededBy = (id: string) => jobs.filter((j) => findWorkerOf(j.workerId)?.[0] === id).length;
  // Prefer the worker that finished the long job: only a job longer than the 1 s heartbeat interval is sure to have
  // sent heartbeats (short jobs can all finish between two ticks).
  const longRunnerId = findWorkerOf(longJob.workerId)?.[0];
  const longRunnerSurvived = longRunnerId !== undefined && longRunnerId !== killedId && longRunnerId !== stoppedId;
  const survivorId = longRunnerSurvived
    ? longRunnerId
    : [...metricsPorts.keys()].filter((id) => id !== killedId && id !== stoppedId).sort((a, b) => succeededBy(b) - succeededBy(a))[0]!;
  const w1 = parsePrometheusText(await (await fetch(`http://127.0.0.1:${metricsPorts.get(survivorId)}/metrics`)).text());
  const w1Succeeded = succeededBy(survivorId);
  const w1Count = w1.filter((s) => s.name === "condense_job_duration_seconds_count" && s.labels.outcome === "succeeded").reduce((a, s) => a + s.value, 0);
  expect(w1Count).toBe(w1Succeeded);
  const heartbeats = w1.find((s) => s.name === "condense_worker_heartbeats_total")!.value;
  if (longRunnerSurvived) expect(heartbeats).toBeGreaterThan(0);
  else expect(heartbeats).toBeGreaterThanOrEqual(0);
});
