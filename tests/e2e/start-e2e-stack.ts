/**
 * The real stack for the browser suite, started by Playwright's `webServer`:
 * a fresh migrated database in the test PostgreSQL cluster, a real s3rver, the platform (`condense serve`:
 * web app + one worker) pointed at both, on 127.0.0.1:E2E_PORT. No mocks anywhere.
 *
 * Run by hand: `node --import tsx tests/e2e/start-e2e-stack.ts` (Ctrl-C stops everything and drops the database).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startEmbeddedS3 } from "../../server/embedded/s3-server";
import { createTestDatabase, TEST_PG_ADMIN_URL } from "../integration/harness";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PORT = Number(process.env.E2E_PORT ?? "3917");
const DB_LABEL = "e2e";

function log(message: string) {
  process.stderr.write(`[e2e-stack] ${message}\n`);
}

/**
 * Databases left by a run killed before its cleanup (SIGKILL) are dropped at a later start; only those older than
 * 6 h, so a run going on in parallel keeps its database.
 */
async function dropLeftoverDatabases(): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
  await admin.connect();
  try {
    const res = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname < $2`,
      [`condense_${DB_LABEL}_%`, `condense_${DB_LABEL}_${(Date.now() - 6 * 3600_000).toString(36)}`],
    );
    for (const row of res.rows) await admin.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
    if (res.rows.length > 0) log(`dropped ${res.rows.length} leftover database(s)`);
  } finally {
    await admin.end();
  }
}

function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ["pipe", "inherit", "inherit"] });
  child.once("exit", (code, signal) => {
    if (!stopping) {
      log(`${name} exited unexpectedly (code ${code}, signal ${signal}): stopping the stack`);
      void shutdown(1);
    }
  });
  return child;
}

/**
 * Stops a child: Playwright (and Ctrl-C) signal the whole process group, so the child usually got SIGTERM already;
 * a second one would make `condense serve` skip its orderly shutdown. So wait first, then ask, then force.
 */
function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const askTimer = setTimeout(() => child.kill("SIGTERM"), 3000);
    const killTimer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", () => {
      clearTimeout(askTimer);
      clearTimeout(killTimer);
      resolve();
    });
  });
}

let stopping = false;
const cleanups: Array<() => Promise<void>> = [];

async function shutdown(exitCode: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // Reverse start order: platform first (worker, web), then storage, then the database.
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) => log(`cleanup failed: ${(err as Error).message}`));
    }
  }
  process.exit(exitCode);
}

async function main(): Promise<void> {
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  await dropLeftoverDatabases();
  const db = await createTestDatabase(DB_LABEL);
  cleanups.push(db.drop);
  const s3Dir = await mkdtemp(path.join(os.tmpdir(), "condense-e2e-s3-"));
  cleanups.push(() => rm(s3Dir, { recursive: true, force: true }));
  const s3 = await startEmbeddedS3({ port: 0, directory: s3Dir, bucket: "condense-e2e" });
  cleanups.push(s3.stop);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "condense-e2e-data-"));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  log(`database ${new URL(db.databaseUrl).pathname.slice(1)}, s3rver ${s3.endpoint}`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: db.databaseUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    S3_FORCE_PATH_STYLE: "true",
    HOST: "127.0.0.1",
    PORT: String(PORT),
    PUBLIC_URL: `http://127.0.0.1:${PORT}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    // Jobs should be picked up and reported promptly in a test.
    WORKER_HEARTBEAT_SECONDS: "1",
    // The smallest part size S3 allows, so a ~10 MB fixture goes up as several parts from the browser.
    UPLOAD_PART_BYTES: String(5 * 1024 * 1024),
    NEXT_TELEMETRY_DISABLED: "1",
    // The webhook flows deliver to a receiver the test runs on 127.0.0.1; production refuses loopback targets.
    WEBHOOKS_ALLOW_LOOPBACK: "true",
    // A failed delivery in a test should be retried within the test's patience, not after minutes.
    WEBHOOK_RETRY_SCHEDULE_SECONDS: process.env.WEBHOOK_RETRY_SCHEDULE_SECONDS ?? "1,2,5",
  };

  // The real production entry point, as users run it: `condense serve` (re)builds the portal when its sources
  // changed, then serves web app + API and supervises one worker. A child process, so teardown order is ours.
  const bin = path.join(REPO_ROOT, "bin", "condense.mjs");
  const serve = startChild("condense serve", process.execPath, [bin, "serve", "--port", String(PORT)], env);
  cleanups.push(() => stopChild(serve, 20_000));
  log(`starting the platform on http://127.0.0.1:${PORT}`);
}

main().catch((err: unknown) => {
  log(`failed to start: ${(err as Error).stack ?? String(err)}`);
  void shutdown(1);
});
