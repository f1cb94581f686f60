import { describe, expect, it } from "vitest";
import { formatOptions, formatUsage, parseArgs } from "./args";
import { CliUsageError } from "./errors";

const SPEC = {
  options: {
    model: { type: "string", valueName: "ID", description: "model" },
    output: { type: "string", short: "o", valueName: "FILE", description: "out" },
    wait: { type: "boolean", description: "wait" },
    json: { type: "boolean", description: "json" },
  },
  positionals: [{ name: "FILE" }],
} as const;

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliUsageError);
    return (err as Error).message;
  }
  throw new Error("expected a usage error");
}

describe("parseArgs", () => {
  it("reads --name value, --name=value, -o value, -oVALUE and booleans", () => {
    const a = parseArgs(["m.onnx", "--model", "abc", "--wait", "-o", "out.bin"], SPEC);
    expect(a).toEqual({ positionals: ["m.onnx"], options: { model: "abc", output: "out.bin", wait: true, json: false } });
    const b = parseArgs(["--model=x=y", "-oout2", "m.onnx"], SPEC);
    expect(b.options.model).toBe("x=y");
    expect(b.options.output).toBe("out2");
    expect(b.options.wait).toBe(false);
  });

  it("keeps JSON values intact, including ones with spaces, braces and a leading '{'", () => {
    const json = '{"steps":[{"pass":"analyze"}]}';
    expect(parseArgs(["f", "--model", json], SPEC).options.model).toBe(json);
  });

  it("treats words after -- and a lone - as positionals", () => {
    const a = parseArgs(["--", "--wait"], SPEC);
    expect(a.positionals).toEqual(["--wait"]);
    expect(a.options.wait).toBe(false);
    expect(parseArgs(["-"], SPEC).positionals).toEqual(["-"]);
  });

  it("rejects unknown options with the option's name", () => {
    expect(usageError(() => parseArgs(["f", "--nope"], SPEC))).toBe("unknown option --nope");
    expect(usageError(() => parseArgs(["f", "-x"], SPEC))).toBe("unknown option -x");
  });

  it("rejects a string option without value, and one followed by another option", () => {
    expect(usageError(() => parseArgs(["f", "--model"], SPEC))).toBe("option --model needs a value (ID)");
    expect(usageError(() => parseArgs(["f", "--model", "--wait"], SPEC))).toBe("option --model needs a value (ID)");
  });

  it("rejects a value given to a boolean option", () => {
    expect(usageError(() => parseArgs(["f", "--wait=yes"], SPEC))).toBe("option --wait takes no value");
  });

  it("checks positional counts", () => {
    expect(usageError(() => parseArgs([], SPEC))).toBe("missing FILE");
    expect(usageError(() => parseArgs(["a", "b"], SPEC))).toBe('unexpected argument "b"');
    expect(parseArgs([], { options: {}, positionals: [{ name: "X", optional: true }] }).positionals).toEqual([]);
    expect(parseArgs(["a", "b", "c"], { options: {}, positionals: [{ name: "X", variadic: true }] }).positionals).toEqual(["a", "b", "c"]);
  });

  it("does not treat Object.prototype names as options", () => {
    expect(usageError(() => parseArgs(["f", "--constructor"], SPEC))).toBe("unknown option --constructor");
  });
});

describe("help formatting", () => {
  it("builds usage lines and aligned option lines", () => {
    expect(formatUsage(["jobs", "get"], [{ name: "ID" }])).toBe("condense jobs get ID [options]");
    expect(formatUsage(["download"], [{ name: "JOB_ID" }, { name: "NAME", optional: true }], false)).toBe("condense download JOB_ID [NAME]");
    const lines = formatOptions(SPEC.options);
    expect(lines[0]).toBe("      --model ID     model");
    expect(lines[1]).toBe("  -o, --output FILE  out");
    expect(lines[2]).toBe("      --wait         wait");
  });
});
