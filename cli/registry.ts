import type { TCommand } from "./command";
import type { TOptionsSpec } from "./args";
import { CliError } from "./errors";

/**
 * Every `condense` command, in the order `condense --help` lists them.
 * Entries hold only what the top-level help needs; the command itself is imported when it runs, so `--help` stays
 * fast and a command whose imports are broken (e.g. the engine) cannot break the others.
 * To add a command: create `cli/commands/<group>-<verb>.ts` exporting `command = defineCommand(...)` and add a line here.
 */
export type TCommandEntry =
  | {
      kind: "command";
      path: readonly string[];
      summary: string;
      load: () => Promise<TCommand<TOptionsSpec>>;
    }
  | {
      /** Commands owned elsewhere that parse their own arguments (they get argv after their name, untouched). */
      kind: "delegate";
      path: readonly string[];
      summary: string;
      /** Help printed for `condense <name> --help` unless `ownHelp`, in which case the delegate gets `--help`. */
      help: string;
      ownHelp?: boolean;
      load: () => Promise<(args: string[]) => Promise<unknown>>;
    };

// Each loader names its module literally so bundlers and tsc can see it; `as` erases the per-command option types.
const cmd = (path: string[], summary: string, load: () => Promise<{ command: unknown }>): TCommandEntry => ({
  kind: "command",
  path,
  summary,
  load: async () => (await load()).command as TCommand<TOptionsSpec>,
});

export const COMMANDS: readonly TCommandEntry[] = [
  cmd(["login"], "Sign in with email and password and save the session", () => import("./commands/login")),
  cmd(["logout"], "Sign out and delete the saved session", () => import("./commands/logout")),
  cmd(["upload"], "Upload an .onnx model (shows progress)", () => import("./commands/upload")),
  cmd(["datasets", "upload"], "Upload calibration/evaluation data (.npy/.npz/.pb or a .zip/.tar bundle)", () => import("./commands/datasets-upload")),
  cmd(["models", "list"], "List the workspace's models", () => import("./commands/models-list")),
  cmd(["presets"], "List the pipeline presets", () => import("./commands/presets")),
  cmd(["jobs", "create"], "Create a compression job from a preset or a pipeline spec", () => import("./commands/jobs-create")),
  cmd(["jobs", "list"], "List recent jobs", () => import("./commands/jobs-list")),
  cmd(["jobs", "get"], "Show one job: state, stage, progress, artifacts", () => import("./commands/jobs-get")),
  cmd(["jobs", "wait"], "Follow a job until it finishes (exit 1 unless it succeeded)", () => import("./commands/jobs-wait")),
  cmd(["jobs", "cancel"], "Cancel a queued or running job", () => import("./commands/jobs-cancel")),
  cmd(["jobs", "logs"], "Print a job's log (stage changes, data used, per-step results); --follow until it finishes", () => import("./commands/jobs-logs")),
  cmd(["tune"], "Search for the best compression that keeps a quality floor (goal-driven trials)", () => import("./commands/tune")),
  cmd(["tune", "get"], "Show a tune job's trials, Pareto front and recommendation", () => import("./commands/tune-get")),
  cmd(["download"], "Download a job artifact (default: the compressed model)", () => import("./commands/download")),
  cmd(["keys", "create"], "Create a workspace API key (shown once)", () => import("./commands/keys-create")),
  cmd(["keys", "list"], "List the workspace's API keys", () => import("./commands/keys-list")),
  cmd(["keys", "revoke"], "Revoke an API key (its next request fails with 401)", () => import("./commands/keys-revoke")),
  cmd(["webhooks", "add"], "Add a webhook endpoint (prints its signing secret once)", () => import("./commands/webhooks-add")),
  cmd(["webhooks", "list"], "List the workspace's webhook endpoints", () => import("./commands/webhooks-list")),
  cmd(["webhooks", "test"], "Send a test event to a webhook endpoint", () => import("./commands/webhooks-test")),
  cmd(["webhooks", "deliveries"], "Show the webhook delivery log (status, latency, attempts)", () => import("./commands/webhooks-deliveries")),
  cmd(["members", "list"], "List the workspace's members and roles", () => import("./commands/members-list")),
  cmd(["members", "invite"], "Invite someone by email (prints the invite link)", () => import("./commands/members-invite")),
  {
    kind: "delegate",
    path: ["serve"],
    summary: "Start the platform (web app + worker; embedded database and storage unless configured)",
    help: [
      "usage: condense serve [--port N] [--data-dir DIR] [--no-worker] [--no-migrate] [--no-build]",
      "",
      "Starts the web app and one worker. Without DATABASE_URL / S3_ENDPOINT it also starts an embedded",
      "PostgreSQL (PGlite) and S3 server (s3rver) bound to 127.0.0.1, keeping data under DATA_DIR (default ./.data).",
      "",
      "Options:",
      "  --port N        Port of the web app (default $PORT, else 3000)",
      "  --data-dir DIR  Where embedded PostgreSQL and storage keep their data (default $DATA_DIR, else ./.data)",
      "  --no-worker     Do not start a worker (run `condense worker` separately)",
      "  --no-migrate    Skip database migrations at start",
      "  --no-build      Serve the existing portal build as it is (default: build when missing or stale)",
      "",
      "Environment: PORT, HOST, DATA_DIR, DATABASE_URL, S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY,",
      "LOG_LEVEL, ... (see README).",
    ].join("\n"),
    load: () => loadDelegate("./commands/serve", "serveCommand"),
  },
  {
    kind: "delegate",
    path: ["worker"],
    summary: "Run a standalone worker against DATABASE_URL and S3_ENDPOINT",
    help: [
      "usage: condense worker [--concurrency N] [--id NAME] [--drain-timeout SECONDS]",
      "",
      "Claims queued jobs and runs them. Needs DATABASE_URL and S3_ENDPOINT (plus S3 credentials) in the environment.",
      "Stops gracefully on SIGTERM/SIGINT: running jobs finish, or are handed back after the drain timeout.",
      "",
      "Options:",
      "  --concurrency N          Jobs run at once (default $WORKER_CONCURRENCY, else 1)",
      "  --id NAME                Worker name in logs and job records",
      "  --drain-timeout SECONDS  How long a stop waits for running jobs",
    ].join("\n"),
    load: () => loadDelegate("./commands/worker", "workerCommand"),
  },
  {
    kind: "delegate",
    path: ["run"],
    summary: "Compress a model locally, without a server (writes the model and report.json)",
    help: "usage: condense run MODEL.onnx (--preset NAME | --pipeline JSON|@file) -o OUT.onnx [options]\n\nRuns a pipeline on a local .onnx file with the same engine the workers use.",
    // The engine's command lists presets and its own options in its help.
    ownHelp: true,
    load: () => loadDelegate("./commands/run", "runCommand"),
  },
];

/**
 * Imports a delegated command by a computed specifier: those modules are written by other parts of the project and
 * may not exist yet in a given checkout, which must not stop the rest of the CLI from type-checking or running.
 */
export async function loadDelegate(specifier: string, exportName: string): Promise<(args: string[]) => Promise<unknown>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const file = `cli/${specifier.replace(/^\.\//, "")}.ts`;
    if (e.code === "ERR_MODULE_NOT_FOUND" && e.message.includes(specifier.replace(/^\.\//, ""))) {
      throw new CliError(`this command is not available in this build (${file} is missing)`);
    }
    throw new CliError(`this command failed to load (${file}): ${e.message.split("\n")[0]}`, { cause: err });
  }
  const fn = mod[exportName];
  if (typeof fn !== "function") throw new CliError(`this command is not available in this build (${exportName} is not exported)`);
  return fn as (args: string[]) => Promise<unknown>;
}

/** Finds the entry for argv's leading words; `rest` is argv after the command's name. */
export function findCommand(argv: readonly string[]): { entry: TCommandEntry; rest: string[] } | undefined {
  // Longest path first so "jobs create" wins over a hypothetical "jobs".
  const sorted = [...COMMANDS].sort((a, b) => b.path.length - a.path.length);
  for (const entry of sorted) {
    if (entry.path.every((word, i) => argv[i] === word)) return { entry, rest: argv.slice(entry.path.length) };
  }
  return undefined;
}

/** Words that start multi-word commands ("jobs", "models"). */
export function listGroups(): string[] {
  return [...new Set(COMMANDS.filter((c) => c.path.length > 1).map((c) => c.path[0]))];
}
