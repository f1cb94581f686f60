import path from "node:path";
import { ConfigError, loadConfig, type TConfig } from "../../server/config";
import { startPlatform, type TPlatform } from "../../server/start/start-platform";
import { parseOptionsOnly, type TOptionsSpec } from "../args";
import { CliError, CliUsageError } from "../errors";

const USAGE = "usage: condense serve [--port N] [--data-dir DIR] [--no-worker] [--no-migrate] [--no-build]";

export type TServeArgs = { port?: number; dataDir?: string; worker: boolean; migrate: boolean; build: boolean };

const SERVE_OPTIONS = {
  port: { type: "string", valueName: "N", description: "Port of the web app" },
  "data-dir": { type: "string", valueName: "DIR", description: "Where embedded PostgreSQL and storage keep their data" },
  "no-worker": { type: "boolean", description: "Do not start a worker" },
  "no-migrate": { type: "boolean", description: "Skip database migrations at start" },
  "no-build": { type: "boolean", description: "Serve the existing portal build as it is" },
} as const satisfies TOptionsSpec;

/** Parses `condense serve` flags with the CLI's one parser; wrong ones throw CliUsageError (exit 2). */
export function parseServeArgs(args: readonly string[]): TServeArgs {
  const options = parseOptionsOnly(args, SERVE_OPTIONS, USAGE);
  const out: TServeArgs = { worker: !options["no-worker"], migrate: !options["no-migrate"], build: !options["no-build"] };
  if (options.port !== undefined) {
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliUsageError(`--port must be a whole number from 1 to 65535\n${USAGE}`);
    out.port = port;
  }
  if (options["data-dir"] !== undefined) {
    if (!options["data-dir"].trim()) throw new CliUsageError(`--data-dir needs a folder\n${USAGE}`);
    out.dataDir = options["data-dir"];
  }
  return out;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The lines printed once the platform is up: where it is, how to sign in, where data lives. */
export function formatReadyBanner(platform: Pick<TPlatform, "url" | "embeddedPostgres" | "embeddedS3" | "worker">, config: TConfig, startupMs: number): string {
  const storage = [
    platform.embeddedPostgres ? `embedded PostgreSQL` : "PostgreSQL at DATABASE_URL",
    platform.embeddedS3 ? "embedded S3" : `S3 at ${config.S3_ENDPOINT}`,
  ].join(" + ");
  return [
    "",
    `Condense is running at ${platform.url} (started in ${formatSeconds(startupMs)})`,
    `  Sign in: open ${platform.url} and create an account (the first sign-up gets its own workspace).`,
    `  Data:    ${storage}${platform.embeddedPostgres || platform.embeddedS3 ? `, kept in ${config.DATA_DIR}` : ""}`,
    `  Worker:  ${platform.worker ? "1 process (more: `npx condense worker` with the same DATABASE_URL and S3 settings)" : "none (--no-worker)"}`,
    "  Stop:    Ctrl-C",
    "",
  ].join("\n");
}

/**
 * `condense serve` (and `npm start`): starts the whole platform and keeps running until SIGINT/SIGTERM.
 * Without DATABASE_URL / S3_ENDPOINT it runs embedded PostgreSQL (PGlite) and S3 (s3rver) on 127.0.0.1 with data
 * under DATA_DIR; with them it uses those services. The first signal stops everything in order (worker, web,
 * storage, database); a second one exits at once.
 */
export async function serveCommand(args: string[]): Promise<void> {
  const flags = parseServeArgs(args);
  // Flags become environment so that the config, the worker child and the web app all see the same values.
  if (flags.port !== undefined) process.env.PORT = String(flags.port);
  if (flags.dataDir !== undefined) process.env.DATA_DIR = flags.dataDir;
  if (process.env.DATA_DIR) process.env.DATA_DIR = path.resolve(process.env.DATA_DIR);

  let config: TConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, { exitCode: 2 });
    throw err;
  }

  const say = (line: string) => process.stdout.write(`${line}\n`);
  let platform: TPlatform | undefined;
  let signals = 0;
  let stopRequested = false;
  const stopAndExit = async () => {
    const started = Date.now();
    say("stopping: worker, web app, then storage and database…");
    await platform?.stop();
    say(`stopped in ${formatSeconds(Date.now() - started)}`);
    process.exit(0);
  };
  const onSignal = () => {
    signals += 1;
    // A second Ctrl-C means "now": children notice our exit (their stdin closes) and stop on their own.
    if (signals > 1) process.exit(130);
    stopRequested = true;
    if (platform) void stopAndExit();
    else say("stopping as soon as start-up reaches a safe point…");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    platform = await startPlatform({ config, worker: flags.worker, migrate: flags.migrate, build: flags.build, log: say });
  } catch (err) {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (stopRequested) process.exit(130);
    throw new CliError((err as Error).message, { cause: err });
  }
  // Measured from process launch, so it includes loading the CLI and TypeScript.
  say(formatReadyBanner(platform, config, process.uptime() * 1000));
  if (stopRequested) void stopAndExit();
}
