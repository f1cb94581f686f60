/**
 * `npm run bench:api`: API throughput and tail latency of jobs.list and jobs.create under load.
 * Starts the API (startApiServer: the same tRPC handler the Next.js route uses) on a real PostgreSQL database and
 * s3rver (tests/integration/harness.ts: needs the test cluster, TEST_PG_ADMIN_URL), signs up, seeds models and jobs,
 * then loads it from a second process (autocannon) over loopback. Prints a markdown table and writes
 * bench/results/api.md. Flags: --duration SECONDS (10), --connections N (16), --models N (50), --jobs N (2000).
 * Not a test: the numbers depend on the machine.
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCondenseClient } from "../client";
import { startApiServer } from "../server/api/http-server";
import { loadConfig } from "../server/config";
import { createPrismaClient } from "../server/db/prisma";
import { createJobQueue } from "../server/queue/job-queue";
import { createObjectStore } from "../server/storage/object-store";
import { startTestStack } from "../tests/integration/harness";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const AUTOCANNON = path.join(ROOT, "node_modules", "autocannon", "autocannon.js");

type TLoadResult = {
  name: string;
  requests: number;
  requestsPerSecond: number;
  latencyMsP50: number;
  latencyMsP99: number;
  latencyMsMax: number;
  non2xx: number;
  errors: number;
};

function readFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a positive number`);
  return n;
}

/** Runs autocannon as a separate process so the load generator does not share the API's event loop. */
function runAutocannon(name: string, url: string, opts: { connections: number; durationSeconds: number; method?: string; body?: string; token: string }): Promise<TLoadResult> {
  const args = [AUTOCANNON, "--json", "-c", String(opts.connections), "-d", String(opts.durationSeconds), "-H", `authorization=Bearer ${opts.token}`];
  if (opts.method) args.push("-m", opts.method);
  if (opts.body) args.push("-H", "content-type=application/json", "-b", opts.body);
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`autocannon failed: ${err.message}\n${stderr}`));
      const r = JSON.parse(stdout) as {
        requests: { average: number; total: number };
        latency: { p50: number; p99: number; max: number };
        non2xx: number;
        errors: number;
      };
      resolve({
        name,
        requests: r.requests.total,
        requestsPerSecond: r.requests.average,
        latencyMsP50: r.latency.p50,
        latencyMsP99: r.latency.p99,
        latencyMsMax: r.latency.max,
        non2xx: r.non2xx,
        errors: r.errors,
      });
    });
  });
}

async function main(): Promise<void> {
  const durationSeconds = readFlag("duration", 10);
  const connections = readFlag("connections", 16);
  const modelCount = readFlag("models", 50);
  const jobCount = readFlag("jobs", 2000);

  const stack = await startTestStack("bench-api");
  // Limits off: this measures the API, not the rate limiter refusing the load generator.
  const config = loadConfig({
    ...stack.env,
    RATE_LIMIT_KEY_PER_MINUTE: "0",
    RATE_LIMIT_WORKSPACE_PER_MINUTE: "0",
    QUOTA_CONCURRENT_JOBS: "0",
    QUOTA_STORAGE_BYTES: "0",
    LOG_LEVEL: "silent",
  });
  const prisma = createPrismaClient(stack.databaseUrl);
  const store = createObjectStore(config);
  const queue = await createJobQueue(stack.databaseUrl, { supervise: false, maxConnections: 6 });
  const server = await startApiServer({ prisma, store, config, enqueueJob: (jobId) => queue.enqueue(jobId) });
  try {
    const session = await createCondenseClient({ baseUrl: server.url }).api.auth.signUp.mutate({ email: `bench-${Date.now()}@example.com`, password: "correct horse battery" });
    const workspaceId = session.workspace.id;
    const modelIds = Array.from({ length: modelCount }, (_, i) => `benchmodel${i}`);
    await prisma.model.createMany({
      data: modelIds.map((id) => ({ id, workspaceId, name: `${id}.onnx`, state: "ready", sizeBytes: 1_000_000n, sha256: "0".repeat(64), storageKey: `bench/${id}` })),
    });
    const states = ["queued", "running", "succeeded", "failed", "canceled"];
    const pipeline = { steps: [{ pass: "analyze", options: { latencyRuns: 3 } }] };
    for (let start = 0; start < jobCount; start += 1000) {
      await prisma.job.createMany({
        data: Array.from({ length: Math.min(1000, jobCount - start) }, (_, k) => ({
          workspaceId,
          modelId: modelIds[(start + k) % modelIds.length]!,
          pipeline,
          state: states[(start + k) % states.length]!,
        })),
      });
    }

    const listUrl = `${server.url}/api/trpc/jobs.list?input=${encodeURIComponent(JSON.stringify({ limit: 20 }))}`;
    const createUrl = `${server.url}/api/trpc/jobs.create`;
    const createBody = JSON.stringify({ modelId: modelIds[0], pipeline });
    // Check both calls answer 200 before loading them (a 4xx under load would measure error paths).
    for (const [url, init] of [
      [listUrl, { headers: { authorization: `Bearer ${session.token}` } }],
      [createUrl, { method: "POST", headers: { authorization: `Bearer ${session.token}`, "content-type": "application/json" }, body: createBody }],
    ] as const) {
      const res = await fetch(url, init);
      if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
    }

    const jobsBefore = await prisma.job.count({ where: { workspaceId } });
    const results: TLoadResult[] = [];
    results.push(await runAutocannon("jobs.list (limit 20)", listUrl, { connections, durationSeconds, token: session.token }));
    results.push(await runAutocannon("jobs.create", createUrl, { connections, durationSeconds, method: "POST", body: createBody, token: session.token }));
    // autocannon stops at the deadline with requests in flight; let the server finish them before counting/closing.
    await new Promise((r) => setTimeout(r, 2000));
    const created = (await prisma.job.count({ where: { workspaceId } })) - jobsBefore;

    const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
    const lines = [
      "# API benchmark (`npm run bench:api`)",
      "",
      `${new Date().toISOString().slice(0, 10)} · ${cpu}, ${os.availableParallelism()} cores · Node ${process.version} · PostgreSQL on loopback · ` +
        `${connections} connections for ${durationSeconds} s per call from a second process (autocannon) · ` +
        `workspace with ${modelCount} models and ${jobCount} jobs.`,
      "",
      "| call | requests | req/s | p50 ms | p99 ms | max ms | non-2xx | errors |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      ...results.map((r) => `| ${r.name} | ${r.requests} | ${r.requestsPerSecond.toFixed(0)} | ${r.latencyMsP50} | ${r.latencyMsP99} | ${r.latencyMsMax} | ${r.non2xx} | ${r.errors} |`),
      "",
      `jobs.create stored ${created} jobs (each also a pg-boss send), ${results[1]!.requests} requests answered.`,
      "",
    ];
    const text = lines.join("\n");
    console.log(text);
    await mkdir(path.join(ROOT, "bench", "results"), { recursive: true });
    await writeFile(path.join(ROOT, "bench", "results", "api.md"), text);
    if (results.some((r) => r.non2xx > 0 || r.errors > 0)) process.exitCode = 1;
  } finally {
    await server.close();
    await queue.stop();
    await prisma.$disconnect();
    await stack.stop();
  }
}

await main();
