/**
 * Embedded PostgreSQL for the zero-setup default: PGlite (Postgres 17 in WASM) with its data in
 * DATA_DIR/pg, served over the wire protocol on loopback so pg, Prisma and pg-boss use it like a real server.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { PGlite } from "@electric-sql/pglite";
import { startPgliteWireServer, type TPgliteWireServer } from "./pglite-wire-server";
import { spawnReadyChild, stopChild } from "./spawn-ts-child";

const CHILD_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "pglite-main.ts");

export type TEmbeddedPostgres = {
  /** postgresql://postgres:postgres@127.0.0.1:PORT/postgres (PGlite has only the `postgres` database). */
  databaseUrl: string;
  port: number;
  /** Stops the server and closes PGlite cleanly (its data is flushed to disk). */
  stop: () => Promise<void>;
  /** The child process, when it runs in one. */
  process?: ChildProcess;
};

/** Builds the connection URL of an embedded server on `port`. */
export function buildEmbeddedDatabaseUrl(port: number, host = "127.0.0.1"): string {
  return `postgresql://postgres:postgres@${host}:${port}/postgres`;
}

/**
 * Starts embedded PostgreSQL with its data in `<dataDir>/pg` and resolves once it accepts connections.
 * `dataDir` is the platform's DATA_DIR. Port 0 picks a free port. By default PGlite runs in a child process
 * (its WASM queries then never block this process's event loop); `inProcess: true` runs it here.
 * Rejects with a one-line message when the port is taken or another process uses the same data folder.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  host?: string;
  inProcess?: boolean;
  /** See TPgliteWireServerOptions.idleInTransactionTimeoutMs (default 30 s). */
  idleInTransactionTimeoutMs?: number;
}): Promise<TEmbeddedPostgres> {
  const pgDataDir = path.join(opts.dataDir, "pg");
  const host = opts.host ?? "127.0.0.1";
  if (opts.inProcess) {
    const embedded = await openEmbeddedPostgres({ pgDataDir, port: opts.port, host, idleInTransactionTimeoutMs: opts.idleInTransactionTimeoutMs });
    return { databaseUrl: buildEmbeddedDatabaseUrl(embedded.port, host), port: embedded.port, stop: embedded.stop };
  }
  const { child, status } = await spawnReadyChild<{ ready?: boolean; error?: string; port: number }>({
    entry: CHILD_ENTRY,
    env: {
      ...process.env,
      PGLITE_DATA_DIR: pgDataDir,
      PGLITE_PORT: String(opts.port),
      PGLITE_HOST: host,
      ...(opts.idleInTransactionTimeoutMs !== undefined ? { PGLITE_IDLE_IN_TRANSACTION_TIMEOUT_MS: String(opts.idleInTransactionTimeoutMs) } : {}),
    },
    name: "embedded PostgreSQL",
  });
  return {
    databaseUrl: buildEmbeddedDatabaseUrl(status.port, host),
    port: status.port,
    process: child,
    // PGlite flushes on close; give it time before the hard kill.
    stop: () => stopChild(child, 20_000),
  };
}

/**
 * Opens PGlite in this process and serves it. Used by the child entry and by `inProcess` mode.
 * Holds `<pgDataDir>.lock` (our pid) while open: PGlite has no postmaster.pid, and two processes
 * writing one data folder would corrupt it.
 */
export async function openEmbeddedPostgres(opts: {
  pgDataDir: string;
  port: number;
  host?: string;
  idleInTransactionTimeoutMs?: number;
}): Promise<{ port: number; db: PGlite; server: TPgliteWireServer; stop: () => Promise<void> }> {
  await mkdir(opts.pgDataDir, { recursive: true });
  const lockFile = `${opts.pgDataDir}.lock`;
  await acquireLock(lockFile, opts.pgDataDir);
  let db: PGlite | undefined;
  try {
    db = await PGlite.create({ dataDir: opts.pgDataDir });
    const server = await startPgliteWireServer(db, { host: opts.host, port: opts.port, idleInTransactionTimeoutMs: opts.idleInTransactionTimeoutMs }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") {
        throw new Error(`port ${opts.port} is already in use: set EMBEDDED_PG_PORT to a free port (embedded PostgreSQL)`);
      }
      throw err;
    });
    const opened = db;
    let stopped: Promise<void> | undefined;
    return {
      port: server.port,
      db: opened,
      server,
      stop: () =>
        (stopped ??= (async () => {
          try {
            await server.close();
            await opened.close();
          } finally {
            await rm(lockFile, { force: true });
          }
        })()),
    };
  } catch (err) {
    await db?.close().catch(() => undefined);
    await rm(lockFile, { force: true });
    throw err;
  }
}

async function acquireLock(lockFile: string, pgDataDir: string) {
  const owner = Number((await readFile(lockFile, "utf8").catch(() => "")).trim());
  if (owner && owner !== process.pid && isProcessAlive(owner)) {
    throw new Error(`the data folder ${pgDataDir} is in use by another process (pid ${owner}): stop it or set DATA_DIR to another folder`);
  }
  await writeFile(lockFile, String(process.pid));
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
