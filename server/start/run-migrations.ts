import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const require = createRequire(import.meta.url);

/** The repository root (where prisma.config.ts and prisma/migrations live). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Applies prisma/migrations to `databaseUrl` with `prisma migrate deploy` (idempotent: applied migrations are
 * skipped). Works on real PostgreSQL and on embedded PGlite. Runs the Prisma CLI with node directly rather than
 * through npx (saves ~0.5 s), with the update check off (it would try to reach the internet).
 * Resolves with how long it took; rejects with the CLI's own error lines when a migration fails.
 */
export async function runMigrations(databaseUrl: string, opts: { timeoutMs?: number } = {}): Promise<{ durationMs: number }> {
  const started = Date.now();
  const cli = path.join(path.dirname(require.resolve("prisma/package.json")), "build", "index.js");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    CHECKPOINT_DISABLE: "1",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
  };
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [cli, "migrate", "deploy"],
      { cwd: REPO_ROOT, env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve();
        const detail = `${stderr}\n${stdout}`
          .split("\n")
          .map((l) => l.trim())
          // Drop Prisma's banner and its driver-adapter advice; keep the error lines.
          .filter(
            (l) =>
              l &&
              !/^(npm warn|Prisma (schema|config)|Loaded Prisma config|Datasource|WARNING: Your schema|- url$|The values from your schema|We recommend you to remove|\d+ migrations? found)/.test(l),
          )
          .slice(-8)
          .join(" | ");
        reject(new Error(`database migration failed: ${detail || err.message}`, { cause: err }));
      },
    );
  });
  return { durationMs: Date.now() - started };
}

/** Names of the migrations in prisma/migrations that `databaseUrl` has not applied yet (all, on an empty database). */
export async function listPendingMigrations(databaseUrl: string): Promise<string[]> {
  const dir = path.join(REPO_ROOT, "prisma", "migrations");
  const local = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const exists = await client.query<{ t: string | null }>("SELECT to_regclass('public._prisma_migrations')::text AS t");
    if (!exists.rows[0]?.t) return local;
    const applied = await client.query<{ migration_name: string }>(
      "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
    );
    const done = new Set(applied.rows.map((r) => r.migration_name));
    return local.filter((name) => !done.has(name));
  } finally {
    await client.end();
  }
}

/**
 * Brings the database up to date: a cheap check first, and the Prisma CLI (~1.5 s) only when a migration is
 * pending, so a warm start does not pay for it. Resolves with the migrations applied.
 */
export async function applyPendingMigrations(databaseUrl: string): Promise<{ applied: string[]; durationMs: number }> {
  const started = Date.now();
  const pending = await listPendingMigrations(databaseUrl);
  if (pending.length > 0) await runMigrations(databaseUrl);
  return { applied: pending, durationMs: Date.now() - started };
}
