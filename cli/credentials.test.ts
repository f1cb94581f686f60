import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  deleteSavedCredentials,
  normalizeBaseUrl,
  readSavedCredentials,
  resolveCredentialsPath,
  resolveServer,
  saveCredentials,
} from "./credentials";
import { CliError } from "./errors";
import type { TEnv } from "./output";

let dir: string;
let env: TEnv;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "condense-cred-"));
  env = { XDG_CONFIG_HOME: path.join(dir, "xdg"), HOME: path.join(dir, "home") };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("credentials file", () => {
  it("lives under $XDG_CONFIG_HOME, else ~/.config (relative XDG values are ignored)", () => {
    expect(resolveCredentialsPath(env)).toBe(path.join(dir, "xdg", "condense", "credentials.json"));
    expect(resolveCredentialsPath({ HOME: "/home/u" })).toBe("/home/u/.config/condense/credentials.json");
    expect(resolveCredentialsPath({ HOME: "/home/u", XDG_CONFIG_HOME: "rel/dir" })).toBe("/home/u/.config/condense/credentials.json");
  });

  it("is written with mode 0600 in a 0700 folder, even with a permissive umask", async () => {
    const old = process.umask(0o000);
    try {
      const file = await saveCredentials(env, { url: "http://127.0.0.1:3000", sessionToken: "tok-1", email: "a@b.c" });
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(old);
    }
  });

  it("tightens a pre-existing world-readable file on save and round-trips the data", async () => {
    const file = resolveCredentialsPath(env);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, "{}", { mode: 0o644 });
    await saveCredentials(env, { url: "http://h:1", sessionToken: "tok-2" });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = await readSavedCredentials(env);
    expect(saved).toMatchObject({ version: 1, url: "http://h:1", sessionToken: "tok-2" });
    // No temporary files left next to it.
    expect((await readFile(file, "utf8")).includes("tok-2")).toBe(true);
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(path.dirname(file))).toEqual(["credentials.json"]);
  });

  it("reads nothing when absent, a one-line error when damaged, and deletes", async () => {
    expect(await readSavedCredentials(env)).toBeUndefined();
    const file = resolveCredentialsPath(env);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, "{not json");
    await expect(readSavedCredentials(env)).rejects.toThrow(/is damaged \(not JSON\)/);
    expect(await deleteSavedCredentials(env)).toBe(true);
    expect(await deleteSavedCredentials(env)).toBe(false);
  });
});

describe("resolveServer", () => {
  const saved = { version: 1 as const, url: "http://saved:3000", sessionToken: "sess", savedAt: "x" };

  it("takes the URL from --url, then CONDENSE_URL, then the saved login", () => {
    expect(resolveServer({ flagUrl: "flag:1", env: { CONDENSE_URL: "http://env:2" }, saved }).baseUrl).toBe("http://flag:1");
    expect(resolveServer({ env: { CONDENSE_URL: "http://env:2/" }, saved }).baseUrl).toBe("http://env:2");
    expect(resolveServer({ env: {}, saved })).toEqual({ baseUrl: "http://saved:3000", urlSource: "saved", auth: { kind: "session", sessionToken: "sess" } });
  });

  it("prefers CONDENSE_API_KEY and never sends a saved session to another server", () => {
    expect(resolveServer({ env: { CONDENSE_API_KEY: "cnd_live_x" }, saved }).auth).toEqual({ kind: "apiKey", apiKey: "cnd_live_x" });
    expect(resolveServer({ flagUrl: "http://other:3000", env: {}, saved }).auth).toBeUndefined();
    expect(resolveServer({ flagUrl: "http://saved:3000/", env: {}, saved }).auth).toEqual({ kind: "session", sessionToken: "sess" });
  });

  it("says how to configure a server when none is known", () => {
    expect(() => resolveServer({ env: {} })).toThrow(CliError);
    expect(() => resolveServer({ env: {} })).toThrow("no server configured: run `condense login --url URL`, or set CONDENSE_URL");
  });
});

describe("normalizeBaseUrl", () => {
  it("adds http://, drops trailing slashes, rejects other schemes", () => {
    expect(normalizeBaseUrl("localhost:3000")).toBe("http://localhost:3000");
    expect(normalizeBaseUrl("https://c.example.com/base/")).toBe("https://c.example.com/base");
    expect(() => normalizeBaseUrl("ftp://x")).toThrow("only http and https");
    expect(() => normalizeBaseUrl("http://")).toThrow('invalid server URL "http://"');
  });
});
