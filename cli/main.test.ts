import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { PRESETS } from "../contracts/pipeline";
import { formatTopHelp, runCli } from "./main";
import { COMMANDS, findCommand, loadDelegate } from "./registry";
import { createTestIo } from "./test-io";

async function findClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("condense dispatcher", () => {
  it("prints the version from package.json", async () => {
    const t = createTestIo();
    expect(await runCli(["--version"], t.io)).toEqual({ exitCode: 0, keepAlive: false });
    expect(t.stdout()).toMatch(/^condense \d+\.\d+\.\d+\n$/);
  });

  it("lists every registered command in the top-level help", async () => {
    const t = createTestIo();
    expect((await runCli(["--help"], t.io)).exitCode).toBe(0);
    for (const c of COMMANDS) expect(t.stdout()).toContain(`  ${c.path.join(" ")} `);
    // No arguments: same help on stderr, exit 2.
    const bare = createTestIo();
    expect((await runCli([], bare.io)).exitCode).toBe(2);
    expect(bare.stderr()).toBe(formatTopHelp());
  });

  it("rejects an unknown command with one line plus usage, exit 2", async () => {
    const t = createTestIo();
    expect((await runCli(["frobnicate", "x"], t.io)).exitCode).toBe(2);
    const lines = t.stderr().split("\n");
    expect(lines[0]).toBe('condense: unknown command "frobnicate"');
    expect(lines[1]).toBe("usage: condense <command> [options]");
    expect(t.stdout()).toBe("");
  });

  it("handles groups: missing or unknown subcommand exit 2, --help exit 0", async () => {
    const missing = createTestIo();
    expect((await runCli(["jobs"], missing.io)).exitCode).toBe(2);
    expect(missing.stderr().split("\n")[0]).toBe("condense: jobs needs a command");
    const unknown = createTestIo();
    expect((await runCli(["jobs", "explode"], unknown.io)).exitCode).toBe(2);
    expect(unknown.stderr()).toContain('condense: unknown command "jobs explode"');
    expect(unknown.stderr()).toContain("jobs create");
    const help = createTestIo();
    expect((await runCli(["jobs", "--help"], help.io)).exitCode).toBe(0);
    expect(help.stdout()).toContain("usage: condense jobs <command> [options]");
  });

  it("gives every command its own --help with usage and options", async () => {
    for (const entry of COMMANDS) {
      // Delegates with their own help (run) answer --help themselves, and may be absent from this checkout.
      if (entry.kind === "delegate" && entry.ownHelp) continue;
      const t = createTestIo();
      const result = await runCli([...entry.path, "--help"], t.io);
      expect(result.exitCode, entry.path.join(" ")).toBe(0);
      expect(t.stdout()).toMatch(/^usage: condense /);
    }
    const t = createTestIo();
    await runCli(["jobs", "create", "-h"], t.io);
    expect(t.stdout()).toContain("usage: condense jobs create [options]");
    expect(t.stdout()).toContain("--preset NAME");
    expect(t.stdout()).toContain("--wait");
  });

  it("turns a bad command line into one reason, the usage and exit 2", async () => {
    const t = createTestIo();
    expect((await runCli(["jobs", "get"], t.io)).exitCode).toBe(2);
    expect(t.stderr().split("\n").slice(0, 2)).toEqual(["condense: missing ID", "usage: condense jobs get ID [options]"]);
    const u = createTestIo();
    expect((await runCli(["presets", "--bogus"], u.io)).exitCode).toBe(2);
    expect(u.stderr().split("\n")[0]).toBe("condense: unknown option --bogus");
  });

  it("rejects malformed --pipeline JSON and unknown presets locally, before needing a server", async () => {
    // No CONDENSE_URL and no saved login: reaching the network step would fail with "no server configured".
    const env = { XDG_CONFIG_HOME: "/nonexistent-condense-test" };
    const bad = createTestIo({ env });
    expect((await runCli(["jobs", "create", "--model", "m1", "--pipeline", "{steps: ["], bad.io)).exitCode).toBe(1);
    expect(bad.stderr()).toMatch(/^condense: --pipeline: pipeline is not valid JSON: [^\n]+\n$/);

    const invalid = createTestIo({ env });
    await runCli(["jobs", "create", "--model", "m1", "--pipeline", '{"steps":[{"pass":"analyze","options":{"latencyRuns":0}}]}'], invalid.io);
    expect(invalid.stderr()).toMatch(/^condense: --pipeline: invalid pipeline: steps\[0\]\.options\.latencyRuns: [^\n]+\n$/);

    const preset = createTestIo({ env });
    expect((await runCli(["jobs", "create", "--model", "m1", "--preset", "nope"], preset.io)).exitCode).toBe(1);
    expect(preset.stderr()).toBe(`condense: unknown preset "nope": choose one of ${[...PRESETS.keys()].join(", ")} (see \`condense presets\`)\n`);

    const both = createTestIo({ env });
    expect((await runCli(["jobs", "create", "--model", "m1", "--preset", "analyze", "--pipeline", "{}"], both.io)).exitCode).toBe(2);
    expect(both.stderr().split("\n")[0]).toBe("condense: give exactly one of --pipeline JSON or --preset NAME");
  });

  it("says how to configure a server when none is known", async () => {
    const t = createTestIo({ env: { XDG_CONFIG_HOME: "/nonexistent-condense-test" } });
    expect((await runCli(["models", "list"], t.io)).exitCode).toBe(1);
    expect(t.stderr()).toBe("condense: no server configured: run `condense login --url URL`, or set CONDENSE_URL\n");
  });

  it("reports an unreachable server as one line naming the URL", async () => {
    // A port that was just free and is now closed: connection refused.
    const port = await findClosedPort();
    const t = createTestIo({ env: { CONDENSE_URL: `http://127.0.0.1:${port}`, CONDENSE_API_KEY: "x", XDG_CONFIG_HOME: "/nonexistent-condense-test" } });
    expect((await runCli(["jobs", "get", "job1"], t.io)).exitCode).toBe(1);
    expect(t.stderr()).toBe(`condense: cannot reach http://127.0.0.1:${port}: connection refused\n`);
  });

  it("prints presets as a table or JSON", async () => {
    const t = createTestIo();
    await runCli(["presets"], t.io);
    expect(t.stdout().split("\n")[0]).toMatch(/^NAME\s+PASSES\s+DESCRIPTION$/);
    expect(t.stdout()).toMatch(/^analyze\s+analyze\s+Inspect/m);
    const j = createTestIo();
    await runCli(["presets", "--json"], j.io);
    expect(JSON.parse(j.stdout())[0]).toMatchObject({ name: "analyze", pipeline: { steps: [{ pass: "analyze" }] } });
  });

  it("finds the longest matching command path", () => {
    expect(findCommand(["jobs", "create", "--wait"])?.rest).toEqual(["--wait"]);
    expect(findCommand(["jobs"])).toBeUndefined();
  });
});

describe("delegated commands", () => {
  it("explain a missing module in one line instead of a stack", async () => {
    await expect(loadDelegate("./commands/does-not-exist", "fooCommand")).rejects.toThrow(
      "this command is not available in this build (cli/commands/does-not-exist.ts is missing)",
    );
    await expect(loadDelegate("./commands/presets", "presetsCommand")).rejects.toThrow("presetsCommand is not exported");
  });
});
