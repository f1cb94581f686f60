/**
 * Integration test stack: a fresh database in the real PostgreSQL test cluster (TEST_PG_ADMIN_URL), cloned from a
 * template database migrated with `prisma migrate deploy`, plus a real s3rver in a child process. No mocks of either.
 * Each call gets its own database and storage folder, so test files can run in parallel.
 *
 * Why a template: migrating each test database took ~1.5 s (11 s before the CLI linger fix); `CREATE DATABASE ...
 * TEMPLATE` copies a migrated one in ~0.1 s. The template's name carries a hash of prisma/migrations, so it is built
 * once per migration set (across test files, workers and runs) and rebuilt automatically when a migration changes.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedS3, type TEmbeddedS3 } from "../../server/embedded/s3-server";
import { REPO_ROOT, runMigrations } from "../../server/start/run-migrations";

export const TEST_PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? "postgresql://postgres:postgres@127.0.0.1:55432/postgres";

const TEMPLATE_PREFIX = "condense_tpl_";
/** Serialises template builds between vitest workers (any constant; pg advisory locks are cluster-wide). */
const TEMPLATE_LOCK_KEY = 73_012_611;

export type TTestStack = {
  databaseUrl: string;
  s3: TEmbeddedS3;
  /** Environment for the platform code (server, worker, CLI) pointing at this stack. */
  env: Record<string, string>;
  stop: () => Promise<void>;
};

function buildDatabaseUrl(name: string): string {
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** Hash of every migration's name and SQL: the template is valid exactly as long as these are unchanged. */
async function hashMigrations(): Promise<string> {
  const dir = path.join(REPO_ROOT, "prisma", "migrations");
  const hash = createHash("sha256");
  for (const entry of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    hash.update(entry);
    hash.update(await readFile(path.join(dir, entry, "migration.sql")).catch(() => Buffer.alloc(0)));
  }
  return hash.digest("hex").slice(0, 16);
}

let templateName: Promise<string> | undefined;

/** Name of the migrated template database, building it (once, under a cluster-wide lock) when missing. */
function ensureTemplateDatabase(): Promise<string> {
  templateName ??= (async () => {
    const name = `${TEMPLATE_PREFIX}${await hashMigrations()}`;
    return withAdmin(async (admin) => {
      await admin.query("SELECT pg_advisory_lock($1)", [TEMPLATE_LOCK_KEY]);
      try {
        const existing = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${TEMPLATE_PREFIX}%`]);
        if (existing.rows.some((r) => r.datname === name)) return name;
        // Built under a temporary name and renamed when complete, so a crashed build is never used as a template.
        const building = `${name}_building`;
        for (const { datname } of existing.rows) {
          await admin.query(`ALTER DATABASE "${datname}" IS_TEMPLATE false`).catch(() => undefined);
          await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
        }
        await admin.query(`CREATE DATABASE "${building}"`);
        await runMigrations(buildDatabaseUrl(building));
        await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
        await admin.query(`ALTER DATABASE "${name}" IS_TEMPLATE true`);
        return name;
      } finally {
        await admin.query("SELECT pg_advisory_unlock($1)", [TEMPLATE_LOCK_KEY]);
      }
    });
  })().catch((err) => {
    templateName = undefined;
    throw err;
  });
  return templateName;
}

/** Creates an empty, migrated database and returns its URL. */
export async function createTestDatabase(label = "t"): Promise<{ databaseUrl: string; drop: () => Promise<void> }> {
  const name = `condense_${label.replace(/[^a-z0-9]/gi, "").toLowerCase()}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const template = await ensureTemplateDatabase();
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    databaseUrl: buildDatabaseUrl(name),
    drop: () => withAdmin(async (admin) => void (await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}

/** Starts a database + s3rver pair for one test file. */
export async function startTestStack(label = "t"): Promise<TTestStack> {
  const [db, dir] = await Promise.all([createTestDatabase(label), mkdtemp(path.join(os.tmpdir(), "condense-s3-"))]);
  let s3: TEmbeddedS3;
  try {
    s3 = await startEmbeddedS3({ port: 0, directory: dir, bucket: "condense-test" });
  } catch (err) {
    await db.drop();
    throw err;
  }
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
