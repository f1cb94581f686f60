/**
 * Prisma CLI config: migrations run on Prisma's bundled wasm schema engine through adapter-pg,
 * so no engine binary is ever downloaded (see ../shared/RECIPE.md). Everything here is confined
 * to the CLI process; the app builds its own client in server/db/prisma.ts.
 */
import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { defineConfig } from "prisma/config";

// prisma/orm#27403: adapter-pg cannot deserialize the `name`, `"char"` and `regclass`-like columns the schema
// engine's introspection returns. Report them as text (and their arrays as text[]) before Prisma sees them.
const OID_REMAP: ReadonlyMap<number, number> = new Map([
  [18, 25], [19, 25], [24, 25], [2205, 25], [2206, 25], [1002, 1009], [1003, 1009],
]);
type TQueryResult = { fields?: { dataTypeID: number }[] };
function remapFieldTypes<T>(result: T): T {
  for (const field of (result as TQueryResult)?.fields ?? []) {
    field.dataTypeID = OID_REMAP.get(field.dataTypeID) ?? field.dataTypeID;
  }
  return result;
}
const originalQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
  const last = args[args.length - 1];
  if (typeof last === "function") {
    args[args.length - 1] = (err: unknown, res: unknown) => (last as (e: unknown, r: unknown) => void)(err, res && remapFieldTypes(res));
    return originalQuery.apply(this, args);
  }
  const out = originalQuery.apply(this, args);
  return out instanceof Promise ? out.then(remapFieldTypes) : out;
};

// Why `migrate deploy` lingered ~10 s even with allowExitOnIdle: the wasm schema engine arms a 10 s guard timer
// (its advisory-lock timeout) and never clears it once the lock is taken, so the CLI waits for it to fire.
// A guard timer only matters while the operation it guards is pending, and that operation's socket keeps the
// process alive by itself, so timers armed from inside the wasm engine are unref'd. Measured: 11 s -> ~1.5 s.
const originalSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = function (this: unknown, ...args: Parameters<typeof setTimeout>) {
  const timer = originalSetTimeout.apply(this, args);
  if (Number(args[1] ?? 0) >= 1_000 && new Error().stack?.includes("wasm://")) timer.unref?.();
  return timer;
} as typeof setTimeout;

function poolConfigFromUrl(url: string): pg.PoolConfig {
  const u = new URL(url);
  // Discrete fields, not connectionString: a connectionString would override `database` for the shadow DB.
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.replace(/^\//, "") || "postgres",
    // The CLI otherwise lingers ~10 s on idle pool connections after finishing.
    idleTimeoutMillis: 500,
    allowExitOnIdle: true,
  };
}

/** adapter-pg with a shadow database we create and force-drop ourselves (the stock one drops it while connected). */
class MigratePg extends PrismaPg {
  constructor(private readonly poolConfig: pg.PoolConfig) {
    super(poolConfig);
  }

  override async connectToShadowDb() {
    const database = `prisma_shadow_${randomUUID().replace(/-/g, "")}`;
    await this.runAdmin(`CREATE DATABASE "${database}"`);
    const adapter = await new PrismaPg({ ...this.poolConfig, database }).connect();
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await this.runAdmin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    };
    return adapter;
  }

  private async runAdmin(sql: string) {
    const client = new pg.Client(this.poolConfig);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

export default defineConfig({
  schema: "prisma/schema.prisma",
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new MigratePg(poolConfigFromUrl(process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres")),
});
