/**
 * Embedded PostgreSQL (PGlite behind our wire server) under the load the platform puts on it: Prisma and
 * pg-boss on many connections at once. Before the connection pinning (electric-sql/pglite#1046) this mix
 * failed every run with "unnamed prepared statement does not exist" / "malformed array literal".
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createPrismaClient, type PrismaClient } from "../../server/db/prisma";
import { startEmbeddedPostgres, type TEmbeddedPostgres } from "../../server/embedded/pglite-server";
import { listPendingMigrations, runMigrations } from "../../server/start/run-migrations";

const QUEUE = "embedded-test";
const JOB_COUNT = 60;
const READ_COUNT = 200;
const IDLE_TX_TIMEOUT_MS = 1_500;

let dataDir: string;
let embedded: TEmbeddedPostgres | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "condense-pglite-"));
  embedded = await startEmbeddedPostgres({ dataDir, port: 0 });
  await runMigrations(embedded.databaseUrl);
});

afterAll(async () => {
  await embedded?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("embedded PostgreSQL", () => {
  test("Prisma and pg-boss share it correctly: 60 jobs on 2 workers with interactive transactions, 200 concurrent reads", async () => {
    const url = embedded!.databaseUrl;
    const prisma: PrismaClient = createPrismaClient(url);
    const bosses = [new PgBoss({ connectionString: url, max: 4, schedule: false }), new PgBoss({ connectionString: url, max: 4, schedule: false })];
    try {
      const workspace = await prisma.workspace.create({ data: { name: "embedded" } });
      for (const boss of bosses) await boss.start();
      await bosses[0].createQueue(QUEUE);

      const handledBy = new Map<number, number>();
      for (const [workerIndex, boss] of bosses.entries()) {
        await boss.work<{ i: number }>(QUEUE, { pollingIntervalSeconds: 0.5, batchSize: 1 }, async ([job]) => {
          const i = job.data.i;
          // An interactive transaction: read, write, read-your-write, on one pinned connection.
          await prisma.$transaction(async (tx) => {
            const ws = await tx.workspace.findUniqueOrThrow({ where: { id: workspace.id } });
            const model = await tx.model.create({
              data: { workspaceId: ws.id, name: `model-${i}`, sizeBytes: BigInt(i) * 1000n, storageKey: `k/${i}`, summary: { tags: [`t${i}`, "x"] } },
            });
            const again = await tx.model.findUniqueOrThrow({ where: { id: model.id } });
            if (again.sizeBytes !== BigInt(i) * 1000n) throw new Error(`read-your-write mismatch for ${i}`);
          });
          handledBy.set(i, workerIndex);
        });
      }

      const sends = Array.from({ length: JOB_COUNT }, (_, i) => bosses[i % 2].send(QUEUE, { i }));
      // Reads with array and bigint parameters while jobs are sent and worked: each must get its own answer.
      const reads = Array.from({ length: READ_COUNT }, async (_, r) => {
        const names = [`model-${r % JOB_COUNT}`, `nope-${r}`];
        const rows = await prisma.model.findMany({ where: { workspaceId: workspace.id, name: { in: names } }, select: { name: true } });
        expect(rows.every((row) => row.name === names[0])).toBe(true);
        const ws = await prisma.workspace.findUnique({ where: { id: workspace.id }, select: { name: true } });
        expect(ws?.name).toBe("embedded");
        const echoed = await prisma.$queryRawUnsafe<{ v: number; arr: string[] }[]>("SELECT $1::int AS v, $2::text[] AS arr", r, [`a${r}`, `b${r}`]);
        expect(echoed[0]).toEqual({ v: r, arr: [`a${r}`, `b${r}`] });
      });
      const ids = await Promise.all(sends);
      await Promise.all(reads);
      expect(ids.filter(Boolean)).toHaveLength(JOB_COUNT);

      await waitFor("all jobs to complete", async () => {
        const rows = await prisma.$queryRawUnsafe<{ state: string; n: bigint }[]>(
          "SELECT state::text AS state, count(*) AS n FROM pgboss.job WHERE name = $1 GROUP BY state",
          QUEUE,
        );
        const completed = rows.find((row) => row.state === "completed")?.n ?? 0n;
        return Number(completed) === JOB_COUNT ? true : undefined;
      });

      const models = await prisma.model.findMany({ where: { workspaceId: workspace.id }, orderBy: { sizeBytes: "asc" } });
      expect(models.map((m) => m.name)).toEqual(Array.from({ length: JOB_COUNT }, (_, i) => `model-${i}`));
      expect(models[59].summary).toEqual({ tags: ["t59", "x"] });
      // Both workers took part (pg-boss claims with SKIP LOCKED on their own connections).
      expect(new Set(handledBy.values()).size).toBe(2);
    } finally {
      for (const boss of bosses) await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
      await prisma.$disconnect();
    }
  });

  test("a client that disconnects inside a transaction is rolled back and does not block others", async () => {
    const url = embedded!.databaseUrl;
    const quitter = new pg.Client({ connectionString: url });
    const other = new pg.Client({ connectionString: url });
    await quitter.connect();
    await other.connect();
    quitter.on("error", () => undefined);
    await quitter.query("BEGIN");
    await quitter.query(`INSERT INTO "Workspace" (id, name) VALUES ('ws-quitter', 'left mid-transaction')`);

    // Waits behind the open transaction (one transaction at a time), then runs once the quitter is gone.
    const blocked = other.query(`SELECT count(*)::int AS n FROM "Workspace" WHERE id = 'ws-quitter'`);
    await new Promise((r) => setTimeout(r, 300));
    (quitter as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy();
    const started = Date.now();
    const { rows } = await blocked;
    expect(rows[0].n).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The backend is idle again: a new transaction of another client commits normally.
    await other.query("BEGIN");
    await other.query(`INSERT INTO "Workspace" (id, name) VALUES ('ws-other', 'committed')`);
    await other.query("COMMIT");
    const check = await other.query(`SELECT name FROM "Workspace" WHERE id = 'ws-other'`);
    expect(check.rows[0].name).toBe("committed");
    await other.end();
  });

  test("a second process cannot open the same data folder, and a restart keeps the data", async () => {
    await expect(startEmbeddedPostgres({ dataDir, port: 0 })).rejects.toThrow(/in use by another process/);

    await embedded!.stop();
    // Restarted with a short idle-in-transaction timeout for the next test.
    embedded = await startEmbeddedPostgres({ dataDir, port: 0, idleInTransactionTimeoutMs: IDLE_TX_TIMEOUT_MS });
    // The restarted database already has every migration: a warm `condense serve` skips the Prisma CLI.
    expect(await listPendingMigrations(embedded.databaseUrl)).toEqual([]);
    const prisma = createPrismaClient(embedded.databaseUrl);
    try {
      expect(await prisma.model.count()).toBe(JOB_COUNT);
      expect((await prisma.workspace.findUnique({ where: { id: "ws-other" } }))?.name).toBe("committed");
    } finally {
      await prisma.$disconnect();
    }
  });

  test("a client idle inside a transaction while others wait is terminated, like idle_in_transaction_session_timeout", async () => {
    const url = embedded!.databaseUrl;
    /** Opens a transaction on a new client, lets it idle `idleMs`, then times a query of another client. */
    const measureBlockedQuery = async (idleMs: number) => {
      const idler = new pg.Client({ connectionString: url });
      const waiter = new pg.Client({ connectionString: url });
      await idler.connect();
      await waiter.connect();
      const idlerError = new Promise<Error>((resolve) => idler.on("error", resolve));
      await idler.query("BEGIN");
      await idler.query(`INSERT INTO "Workspace" (id, name) VALUES ('ws-idler', 'never committed')`);
      await new Promise((r) => setTimeout(r, idleMs));
      const started = Date.now();
      const { rows } = await waiter.query(`SELECT count(*)::int AS n FROM "Workspace" WHERE id = 'ws-idler'`);
      const blockedMs = Date.now() - started;
      expect(rows[0].n).toBe(0);
      expect((await idlerError).message).toMatch(/idle-in-transaction timeout|Connection terminated/);
      await waiter.end();
      return blockedMs;
    };
    // Waiting behind a fresh transaction: the waiter gets through once the holder has idled for the timeout.
    expect(await measureBlockedQuery(0)).toBeGreaterThanOrEqual(IDLE_TX_TIMEOUT_MS - 200);
    // Alone, an idle transaction was left alone; a waiter arriving after the timeout ends it at once.
    expect(await measureBlockedQuery(IDLE_TX_TIMEOUT_MS * 2)).toBeLessThan(IDLE_TX_TIMEOUT_MS);
  });
});
