import type { TOptionsSpec, TParsedOptions, TPositionalSpec } from "./args";
import type { TCliIo } from "./output";
import { CliUsageError } from "./errors";

/** What a command's `run` receives: parsed arguments plus the io to write to. */
export type TCommandInput<O extends TOptionsSpec> = {
  positionals: string[];
  options: TParsedOptions<O>;
  io: TCliIo;
};

/**
 * One CLI command. Its module exports it as `command`; the registry (cli/registry.ts) loads it lazily.
 * `run` returns an exit code (default 0) or throws; the dispatcher turns throws into one `condense: ...` line.
 */
export type TCommand<O extends TOptionsSpec = TOptionsSpec> = {
  /** Extra help text under the usage line (what the command does, where output goes). */
  description?: string;
  positionals?: readonly TPositionalSpec[];
  options: O;
  examples?: readonly string[];
  run: (input: TCommandInput<O>) => Promise<number | void>;
};

/** Identity helper that gives `run` option types inferred from the spec. */
export function defineCommand<const O extends TOptionsSpec>(command: TCommand<O>): TCommand<O> {
  return command;
}

/** `--url` on every command that talks to the server. */
export const URL_OPTION = {
  url: { type: "string", valueName: "URL", description: "Condense server (default: $CONDENSE_URL, else the saved login)" },
} as const satisfies TOptionsSpec;

/** `--json` on every read command: machine-readable output on stdout, nothing else there. */
export const JSON_OPTION = {
  json: { type: "boolean", description: "Print JSON instead of text" },
} as const satisfies TOptionsSpec;

/** `--limit` and `--cursor` on every list command (the API paginates with cursors). */
export const LIST_OPTIONS = {
  limit: { type: "string", valueName: "N", description: "How many to show, 1..100 (default 20)" },
  cursor: { type: "string", valueName: "CURSOR", description: "Continue after a previous page (printed when more exist)" },
} as const satisfies TOptionsSpec;

/** Parses `--limit`: a whole number 1..100, else a usage error. */
export function parseLimitOption(value: string | undefined): number {
  if (value === undefined) return 20;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new CliUsageError(`--limit must be a whole number from 1 to 100, got "${value}"`);
  return n;
}
