/**
 * Integration test stack: a fresh database in the real PostgreSQL test cluster (TEST_PG_ADMIN_URL),
 * migrated with `prisma migrate deploy`, plus a real s3rver in a child process. No mocks of either.
 * Each call gets its own database and storage folder, so test files can run in parallel.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { startEmbeddedS3, type TEmbeddedS3 } from "../../server/embedded/s3-server";

const run = promisify(execFile);

export const TEST_PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? "postgresql://postgres:postgres@127.0.0.1:55432/postgres";

export type TTestStack = {
  databaseUrl: string;
  s3: TEmbeddedS3;
  /** Environment for the platform code (server, worker, CLI) pointing at this stack. */
  env: Record<string, string>;
  stop: () => Promise<void>;
};

/** Creates an empty, migrated database and returns its URL. */
export async function createTestDatabase(label = "t"): Promise<{ databaseUrl: string; drop: () => Promise<void> }> {
  const name = `condense_${label.replace(/[^a-z0-9]/gi, "").toLowerCase()}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  await run("npx", ["prisma", "migrate", "deploy"], { env: { ...process.env, DATABASE_URL: databaseUrl } });
  return {
    databaseUrl,
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Starts a database + s3rver pair for one test file. */
export async function startTestStack(label = "t"): Promise<TTestStack> {
  const db = await createTestDatabase(label);
  const dir = await mkdtemp(path.join(os.tmpdir(), "condense-s3-"));
  const s3 = await startEmbeddedS3({ port: 0, directory: dir, bucket: "condense-test" });
  const env: Record<string, string> = {
    DATABASE_URL: db.databaseUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
    S3_FORCE_PATH_STYLE: "true",
    LOG_LEVEL: "warn",
  };
  return {
    databaseUrl: db.databaseUrl,
    s3,
    env,
    stop: async () => {
      await s3.stop();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
