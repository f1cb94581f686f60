import { readFileSync } from "node:fs";
import { formatOptions, formatUsage, parseArgs } from "./args";
import type { TCommand } from "./command";
import { CliError, CliUsageError, formatCliError, getCurrentBaseUrl, setCurrentBaseUrl } from "./errors";
import { createProcessIo, type TCliIo } from "./output";
import { COMMANDS, findCommand, listGroups, type TCommandEntry } from "./registry";
import type { TOptionsSpec } from "./args";

/** Exit codes: 0 ok, 1 the operation failed, 2 the command line was wrong, 130 interrupted (Ctrl-C). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, INTERRUPTED: 130 } as const;

/** Result of one CLI invocation. `keepAlive` means a delegated long-running command (serve, worker) owns the process. */
export type TCliResult = { exitCode: number; keepAlive: boolean };

/** The package version, read once for `--version`. */
export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Top-level help: every command with its summary. */
export function formatTopHelp(): string {
  const names = COMMANDS.map((c) => c.path.join(" "));
  const width = Math.max(...names.map((n) => n.length));
  return [
    "usage: condense <command> [options]",
    "",
    "Compression-as-a-service for ONNX models.",
    "",
    "Commands:",
    ...COMMANDS.map((c, i) => `  ${names[i].padEnd(width)}  ${c.summary}`),
    "",
    "Global: --help (also after any command), --version",
    "Environment: CONDENSE_URL (server), CONDENSE_API_KEY (instead of a saved login), CONDENSE_DEBUG=1 (stack traces)",
    "",
  ].join("\n");
}

function formatGroupHelp(group: string): string {
  const entries = COMMANDS.filter((c) => c.path[0] === group);
  const width = Math.max(...entries.map((c) => c.path.join(" ").length));
  return [
    `usage: condense ${group} <command> [options]`,
    "",
    "Commands:",
    ...entries.map((c) => `  ${c.path.join(" ").padEnd(width)}  ${c.summary}`),
    "",
  ].join("\n");
}

/** Full help of one command: usage, summary, description, options, examples. */
export function formatCommandHelp(entry: TCommandEntry, command?: TCommand<TOptionsSpec>): string {
  if (entry.kind === "delegate") return `${entry.help}\n`;
  const hasOptions = command !== undefined && Object.keys(command.options).length > 0;
  const lines = [`usage: ${formatUsage(entry.path, command?.positionals, hasOptions)}`, "", entry.summary + "."];
  if (command?.description) lines.push("", command.description);
  if (hasOptions) lines.push("", "Options:", ...formatOptions(command!.options));
  if (command?.examples?.length) lines.push("", "Examples:", ...command.examples.map((e) => `  ${e}`));
  return `${lines.join("\n")}\n`;
}

function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

function printFailure(io: TCliIo, err: unknown, baseUrl?: string): void {
  io.stderr.write(`condense: ${formatCliError(err, { baseUrl })}\n`);
  if (io.env.CONDENSE_DEBUG === "1") io.stderr.write(`${formatDebug(err)}\n`);
}

/** Stack plus the cause chain, only with CONDENSE_DEBUG=1. */
function formatDebug(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 6; depth++) {
    parts.push(`${depth === 0 ? "" : "caused by: "}${cur instanceof Error ? (cur.stack ?? cur.message) : String(cur)}`);
    cur = typeof cur === "object" ? (cur as { cause?: unknown }).cause : undefined;
  }
  return parts.join("\n");
}

/**
 * Runs one CLI invocation against the given io and returns its exit code; never throws and never exits the process
 * (so tests can call it in-process). Failures print exactly one `condense: <reason>` line on stderr.
 */
export async function runCli(argv: readonly string[], io: TCliIo): Promise<TCliResult> {
  const done = (exitCode: number): TCliResult => ({ exitCode, keepAlive: false });
  setCurrentBaseUrl(undefined);
  const first = argv[0];

  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    // `condense help jobs create` reads naturally too.
    const topic = first === "help" ? findCommand(argv.slice(1)) : undefined;
    if (topic) return runCli([...topic.entry.path, "--help"], io);
    io[first === undefined ? "stderr" : "stdout"].write(formatTopHelp());
    return done(first === undefined ? EXIT.USAGE : EXIT.OK);
  }
  if (first === "--version" || first === "-V" || first === "version") {
    io.stdout.write(`condense ${readVersion()}\n`);
    return done(EXIT.OK);
  }

  const found = findCommand(argv);
  if (!found) {
    if (listGroups().includes(first)) {
      const helpWanted = wantsHelp(argv.slice(1));
      if (!helpWanted) {
        const sub = argv[1];
        io.stderr.write(`condense: ${sub === undefined ? `${first} needs a command` : `unknown command "${first} ${sub}"`}\n`);
      }
      io[helpWanted ? "stdout" : "stderr"].write(formatGroupHelp(first));
      return done(helpWanted ? EXIT.OK : EXIT.USAGE);
    }
    io.stderr.write(`condense: unknown command "${first}"\n${formatTopHelp()}`);
    return done(EXIT.USAGE);
  }

  const { entry, rest } = found;
  if (entry.kind === "delegate") {
    if (wantsHelp(rest) && !entry.ownHelp) {
      io.stdout.write(formatCommandHelp(entry));
      return done(EXIT.OK);
    }
    try {
      const fn = await entry.load();
      const result = await fn(rest);
      return { exitCode: typeof result === "number" ? result : EXIT.OK, keepAlive: typeof result !== "number" };
    } catch (err) {
      printFailure(io, err);
      return done(err instanceof CliError ? err.exitCode : EXIT.FAILED);
    }
  }

  let command: TCommand<TOptionsSpec>;
  try {
    command = await entry.load();
  } catch (err) {
    printFailure(io, new CliError(`command "${entry.path.join(" ")}" failed to load: ${(err as Error).message}`, { cause: err }));
    return done(EXIT.FAILED);
  }
  if (wantsHelp(rest)) {
    io.stdout.write(formatCommandHelp(entry, command));
    return done(EXIT.OK);
  }

  try {
    const parsed = parseArgs(rest, { options: command.options, positionals: command.positionals });
    const code = await command.run({ positionals: parsed.positionals, options: parsed.options, io });
    return done(code ?? EXIT.OK);
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.stderr.write(
        `condense: ${err.message}\nusage: ${formatUsage(entry.path, command.positionals, Object.keys(command.options).length > 0)}\n` +
          `run \`condense ${entry.path.join(" ")} --help\` for details\n`,
      );
      return done(EXIT.USAGE);
    }
    if (io.signal.aborted && !(err instanceof CliError)) {
      // Ctrl-C: whatever the interrupted request threw, one line is enough.
      io.stderr.write(`condense: interrupted\n`);
      return done(EXIT.INTERRUPTED);
    }
    const baseUrl = getCurrentBaseUrl();
    printFailure(io, err, baseUrl);
    return done(err instanceof CliError ? err.exitCode : EXIT.FAILED);
  }
}

/**
 * Entry point called by bin/condense.mjs. Ctrl-C once aborts the running command (transfers and waits stop
 * cleanly); twice exits at once. Delegated long-running commands (serve, worker) keep the process and their own
 * signal handling.
 */
export async function main(argv: string[]): Promise<void> {
  const controller = new AbortController();
  const found = findCommand(argv);
  const delegated = found?.entry.kind === "delegate" && (found.entry.ownHelp === true || !wantsHelp(found.rest));
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.INTERRUPTED);
    controller.abort();
  };
  if (!delegated) process.on("SIGINT", onSigint);

  const result = await runCli(argv, createProcessIo(controller.signal));
  if (result.keepAlive) {
    process.exitCode = result.exitCode;
    return;
  }
  if (!delegated) process.off("SIGINT", onSigint);
  // Exit explicitly: idle keep-alive sockets of fetch would otherwise hold the process for seconds.
  // stdout/stderr writes to files, pipes and TTYs are synchronous on Linux and macOS, so nothing is lost.
  process.exit(result.exitCode);
}
