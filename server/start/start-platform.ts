import path from "node:path";
import type { TConfig } from "../config";
import { buildEmbeddedDatabaseUrl, startEmbeddedPostgres, type TEmbeddedPostgres } from "../embedded/pglite-server";
import { startEmbeddedS3, type TEmbeddedS3 } from "../embedded/s3-server";
import { buildWebApp, checkWebBuild } from "./build-web-app";
import { assertPortsFree } from "./check-ports";
import { applyPendingMigrations } from "./run-migrations";
import { prepareWebServer, type TPreparedWebServer, type TWebServer } from "./web-server";
import { superviseWorker, type TWorkerSupervisor } from "./worker-supervisor";

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export type TStartPlatformOptions = {
  config: TConfig;
  /** Start one supervised worker process (default true). */
  worker?: boolean;
  /** Apply pending migrations before serving (default true). */
  migrate?: boolean;
  /**
   * Build the portal when `.next/` has no build or one older than its sources (default true). With false the
   * existing build is served as it is (images with a baked-in build, read-only file systems); none is an error.
   */
  build?: boolean;
  /** Progress lines for the person watching the terminal. */
  log?: (line: string) => void;
};

export type TPlatform = {
  /** Where the portal is reachable, e.g. http://127.0.0.1:3000 */
  url: string;
  embeddedPostgres?: { port: number; databaseUrl: string };
  embeddedS3?: { port: number; endpoint: string };
  worker?: TWorkerSupervisor;
  /** Milliseconds spent in each start-up step. */
  timings: { embeddedMs: number; migrateMs: number; buildMs: number; webMs: number };
  /** Stops in dependency order: worker, then web, then embedded storage and database. Idempotent. */
  stop: () => Promise<void>;
};

/**
 * Starts the whole platform in this process: embedded PostgreSQL and S3 when DATABASE_URL / S3_ENDPOINT are unset
 * (their URLs are put into process.env before anything reads config), pending migrations, a portal build when
 * there is none or it is older than its sources, the Next.js web app, and one worker child.
 * On any failure it stops what it had started and rejects with a one-line message.
 */
export async function startPlatform(opts: TStartPlatformOptions): Promise<TPlatform> {
  const { config } = opts;
  const log = opts.log ?? (() => undefined);
  const useEmbeddedPg = !config.DATABASE_URL;
  const useEmbeddedS3 = !config.S3_ENDPOINT;
  const timings = { embeddedMs: 0, migrateMs: 0, buildMs: 0, webMs: 0 };

  await assertPortsFree([
    { port: config.PORT, host: config.HOST, setting: "PORT (or --port)", what: "web app" },
    ...(useEmbeddedPg ? [{ port: config.EMBEDDED_PG_PORT, host: "127.0.0.1", setting: "EMBEDDED_PG_PORT", what: "embedded PostgreSQL" }] : []),
    ...(useEmbeddedS3 ? [{ port: config.EMBEDDED_S3_PORT, host: "127.0.0.1", setting: "EMBEDDED_S3_PORT", what: "embedded S3" }] : []),
  ]);

  // The embedded services' ports are fixed by config, so their URLs are known now: they go into process.env
  // before anything reads config (route handlers, the worker child), and the web app can load meanwhile.
  if (useEmbeddedPg) process.env.DATABASE_URL = buildEmbeddedDatabaseUrl(config.EMBEDDED_PG_PORT);
  if (useEmbeddedS3) {
    process.env.S3_ENDPOINT = `http://127.0.0.1:${config.EMBEDDED_S3_PORT}`;
    process.env.S3_BUCKET = config.S3_BUCKET;
    process.env.S3_FORCE_PATH_STYLE = "true";
    process.env.S3_ACCESS_KEY_ID ||= config.S3_ACCESS_KEY_ID;
    process.env.S3_SECRET_ACCESS_KEY ||= config.S3_SECRET_ACCESS_KEY;
  }
  // Next.js serves a production build only with NODE_ENV=production (Next's typings make it read-only).
  (process.env as Record<string, string | undefined>).NODE_ENV = "production";
  process.env.NEXT_TELEMETRY_DISABLED ??= "1";
  // The AWS SDK warns on every start that its *future* releases need Node 22; our pinned version runs on Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

  let pgServer: TEmbeddedPostgres | undefined;
  let s3Server: TEmbeddedS3 | undefined;
  let prepared: TPreparedWebServer | undefined;
  let web: TWebServer | undefined;
  let worker: TWorkerSupervisor | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await worker?.stop().catch(() => undefined);
      await (web ?? prepared)?.close().catch(() => undefined);
      await Promise.all([s3Server?.stop().catch(() => undefined), pgServer?.stop().catch(() => undefined)]);
    })());

  // Three independent tracks, overlapped (PGlite and s3rver run in child processes, Next loads here):
  // 1. embedded database, then migrations; 2. embedded storage; 3. portal build if needed, then loading Next.
  const database = (async () => {
    const started = Date.now();
    if (useEmbeddedPg) {
      pgServer = await startEmbeddedPostgres({ dataDir: config.DATA_DIR, port: config.EMBEDDED_PG_PORT });
      timings.embeddedMs = Date.now() - started;
      log(`embedded PostgreSQL on 127.0.0.1:${pgServer.port} (data in ${path.join(config.DATA_DIR, "pg")}, ${formatSeconds(timings.embeddedMs)})`);
    }
    if (opts.migrate === false) return;
    const migrated = await applyPendingMigrations(process.env.DATABASE_URL!);
    timings.migrateMs = migrated.durationMs;
    if (migrated.applied.length > 0) log(`applied ${migrated.applied.length} database migration(s) in ${formatSeconds(migrated.durationMs)}`);
  })();
  const storage = (async () => {
    if (!useEmbeddedS3) return;
    s3Server = await startEmbeddedS3({ port: config.EMBEDDED_S3_PORT, directory: path.join(config.DATA_DIR, "s3"), bucket: config.S3_BUCKET });
    log(`embedded S3 on 127.0.0.1:${s3Server.port} (data in ${path.join(config.DATA_DIR, "s3")})`);
  })();
  const webApp = (async () => {
    const buildState = await checkWebBuild();
    if (buildState === "missing" && opts.build === false) {
      throw new Error("the portal is not built (no .next/BUILD_ID): run `npm run build`, or start without --no-build");
    }
    if (buildState !== "fresh" && opts.build !== false) {
      log(buildState === "missing" ? "building the portal (first start only)…" : "rebuilding the portal (its sources changed since the last build)…");
      timings.buildMs = (await buildWebApp()).durationMs;
      log(`portal built in ${formatSeconds(timings.buildMs)}`);
    }
    const started = Date.now();
    prepared = await prepareWebServer({ host: config.HOST, port: config.PORT });
    timings.webMs = Date.now() - started;
  })();

  try {
    // allSettled: every track must have finished (or failed) before a failure stops what the others started.
    const results = await Promise.allSettled([database, storage, webApp]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    web = await prepared!.listen();

    if (opts.worker !== false) {
      worker = superviseWorker({
        env: process.env,
        // Ctrl-C should not wait the worker's full production drain budget.
        args: ["--drain-timeout", "10"],
        onEvent: log,
      });
    }
    return {
      url: config.PUBLIC_URL ?? web.url,
      embeddedPostgres: pgServer && { port: pgServer.port, databaseUrl: pgServer.databaseUrl },
      embeddedS3: s3Server && { port: s3Server.port, endpoint: s3Server.endpoint },
      worker,
      timings,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
