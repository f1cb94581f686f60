import { CliUsageError } from "./errors";

/** One `--option` of a command. Booleans take no value; strings take the next word or `--name=value`. */
export type TOptionSpec = {
  type: "string" | "boolean";
  /** One-letter alias, e.g. "o" for `-o`. */
  short?: string;
  /** Placeholder shown in help for string options, e.g. "FILE". */
  valueName?: string;
  description: string;
};

export type TOptionsSpec = Readonly<Record<string, TOptionSpec>>;

/** A positional argument; only the last may be `variadic`. */
export type TPositionalSpec = { name: string; optional?: boolean; variadic?: boolean };

/** Parsed option values, typed from the spec: strings are `string | undefined`, booleans `boolean`. */
export type TParsedOptions<O extends TOptionsSpec> = {
  [K in keyof O]: O[K]["type"] extends "boolean" ? boolean : string | undefined;
};

export type TParsedArgs<O extends TOptionsSpec> = { positionals: string[]; options: TParsedOptions<O> };

/**
 * Parses argv for one command against its spec. Unknown options, missing values and wrong positional counts throw
 * CliUsageError with one line that names the problem (the dispatcher prints it with the command's usage, exit 2).
 * Supports `--name value`, `--name=value`, `-x value`, `--` to end options. A string option given twice keeps the last.
 */
export function parseArgs<O extends TOptionsSpec>(
  argv: readonly string[],
  spec: { options: O; positionals?: readonly TPositionalSpec[] },
): TParsedArgs<O> {
  const byShort = new Map<string, string>();
  for (const [name, opt] of Object.entries(spec.options)) if (opt.short) byShort.set(opt.short, name);

  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, opt] of Object.entries(spec.options)) values[name] = opt.type === "boolean" ? false : undefined;
  const positionals: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    // A lone "-" is a positional by convention (stdin/stdout).
    if (!word.startsWith("-") || word === "-") {
      positionals.push(word);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      name = eq === -1 ? word.slice(2) : word.slice(2, eq);
      inline = eq === -1 ? undefined : word.slice(eq + 1);
    } else {
      const short = word.slice(1, 2);
      const mapped = byShort.get(short);
      if (!mapped) throw new CliUsageError(`unknown option -${short}`);
      name = mapped;
      // `-ofile` is accepted like getopt does.
      inline = word.length > 2 ? word.slice(2).replace(/^=/, "") : undefined;
    }
    const opt = Object.hasOwn(spec.options, name) ? spec.options[name] : undefined;
    if (!opt) throw new CliUsageError(`unknown option --${name}`);
    if (opt.type === "boolean") {
      if (inline !== undefined) throw new CliUsageError(`option --${name} takes no value`);
      values[name] = true;
      continue;
    }
    if (inline !== undefined) {
      values[name] = inline;
      continue;
    }
    const next = argv[i + 1];
    // A following option word is almost always a forgotten value, not a value that starts with "-".
    if (next === undefined || (next.startsWith("--") && next.length > 2)) {
      throw new CliUsageError(`option --${name} needs a value${opt.valueName ? ` (${opt.valueName})` : ""}`);
    }
    values[name] = next;
    i++;
  }

  checkPositionals(positionals, spec.positionals ?? []);
  return { positionals, options: values as TParsedOptions<O> };
}

function checkPositionals(got: string[], specs: readonly TPositionalSpec[]): void {
  const required = specs.filter((p) => !p.optional && !p.variadic).length;
  const variadic = specs.some((p) => p.variadic);
  if (got.length < required) {
    throw new CliUsageError(`missing ${specs[got.length].name}`);
  }
  if (!variadic && got.length > specs.length) {
    throw new CliUsageError(`unexpected argument "${got[specs.length]}"`);
  }
}

/** The usage line of a command, e.g. `condense jobs get ID [options]`. */
export function formatUsage(commandPath: readonly string[], positionals: readonly TPositionalSpec[] = [], hasOptions = true): string {
  const parts = ["condense", ...commandPath];
  for (const p of positionals) {
    const name = p.variadic ? `${p.name}...` : p.name;
    parts.push(p.optional || p.variadic ? `[${name}]` : name);
  }
  if (hasOptions) parts.push("[options]");
  return parts.join(" ");
}

/** Help lines for options, aligned. */
export function formatOptions(options: TOptionsSpec): string[] {
  const rows = Object.entries(options).map(([name, opt]) => {
    const flag = `${opt.short ? `-${opt.short}, ` : "    "}--${name}${opt.type === "string" ? ` ${opt.valueName ?? "VALUE"}` : ""}`;
    return [flag, opt.description] as const;
  });
  const width = Math.max(0, ...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

/**
 * For commands that parse their own arguments (serve, worker): options only, no positionals, and every usage error
 * followed by the command's usage line.
 */
export function parseOptionsOnly<const O extends TOptionsSpec>(argv: readonly string[], options: O, usage: string): TParsedOptions<O> {
  let parsed: TParsedArgs<O>;
  try {
    parsed = parseArgs(argv, { options });
  } catch (err) {
    if (err instanceof CliUsageError) throw new CliUsageError(`${err.message}\n${usage}`);
    throw err;
  }
  if (parsed.positionals.length > 0) throw new CliUsageError(`unexpected argument "${parsed.positionals[0]}"\n${usage}`);
  return parsed.options;
}
