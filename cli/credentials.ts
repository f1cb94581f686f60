import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { CliError } from "./errors";
import type { TEnv } from "./output";

/**
 * Where the CLI finds its server and credentials:
 * URL from `--url`, else `CONDENSE_URL`, else the saved login; token from `CONDENSE_API_KEY`, else the saved session
 * (only when the saved session belongs to that same URL: a session token is never sent to another server).
 */

export const ZSavedCredentials = z.object({
  version: z.literal(1),
  url: z.string(),
  sessionToken: z.string().min(1),
  email: z.string().optional(),
  /** When the server says the session ends, if it says. */
  expiresAt: z.string().optional(),
  savedAt: z.string(),
});
export type TSavedCredentials = z.infer<typeof ZSavedCredentials>;

export type TAuth = { kind: "apiKey"; apiKey: string } | { kind: "session"; sessionToken: string };

export type TResolvedServer = {
  baseUrl: string;
  urlSource: "flag" | "env" | "saved";
  /** Undefined when neither an API key nor a matching saved session exists. */
  auth?: TAuth;
};

/** `$XDG_CONFIG_HOME/condense/credentials.json`, default `~/.config/condense/credentials.json`. */
export function resolveCredentialsPath(env: TEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), ".config");
  return path.join(base, "condense", "credentials.json");
}

/** Normalizes a server URL (`localhost:3000` -> `http://localhost:3000`, no trailing slash) or throws a one-line CliError. */
export function normalizeBaseUrl(raw: string): string {
  const trimmed = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`invalid server URL "${raw}" (expected e.g. http://127.0.0.1:3000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`invalid server URL "${raw}": only http and https are supported`);
  }
  url.search = "";
  url.hash = "";
  return url.toString().replace(/\/+$/, "");
}

/** Reads the saved login, or undefined when there is none. A damaged file is a one-line error, not a crash. */
export async function readSavedCredentials(env: TEnv): Promise<TSavedCredentials | undefined> {
  const file = resolveCredentialsPath(env);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is damaged (not JSON): run \`condense logout\` and \`condense login\` again`);
  }
  const parsed = ZSavedCredentials.safeParse(raw);
  if (!parsed.success) throw new CliError(`${file} is damaged: run \`condense logout\` and \`condense login\` again`);
  return parsed.data;
}

/**
 * Saves the login with mode 0600 in a 0700 folder. Written to a temporary file created 0600 and renamed over the
 * old one, so the token is never readable by others, not even for a moment, and a crash cannot leave half a file.
 * Returns the file path.
 */
export async function saveCredentials(env: TEnv, creds: Omit<TSavedCredentials, "version" | "savedAt">): Promise<string> {
  const file = resolveCredentialsPath(env);
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const data: TSavedCredentials = { version: 1, ...creds, savedAt: new Date().toISOString() };
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`);
    // The umask cannot widen 0600, but an explicit chmod also fixes filesystems that ignore the create mode.
    await handle.chmod(0o600);
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await chmod(file, 0o600);
  return file;
}

/** Deletes the saved login. Returns false when there was none. */
export async function deleteSavedCredentials(env: TEnv): Promise<boolean> {
  const file = resolveCredentialsPath(env);
  try {
    await rm(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw new CliError(`cannot delete ${file}: ${(err as Error).message}`);
  }
}

/**
 * Decides which server to talk to and with what credentials (see the module comment for the order).
 * Throws a CliError telling the user how to configure a server when none is known.
 */
export function resolveServer(input: { flagUrl?: string; env: TEnv; saved?: TSavedCredentials }): TResolvedServer {
  const { flagUrl, env, saved } = input;
  let baseUrl: string;
  let urlSource: TResolvedServer["urlSource"];
  if (flagUrl) {
    baseUrl = normalizeBaseUrl(flagUrl);
    urlSource = "flag";
  } else if (env.CONDENSE_URL) {
    baseUrl = normalizeBaseUrl(env.CONDENSE_URL);
    urlSource = "env";
  } else if (saved) {
    baseUrl = normalizeBaseUrl(saved.url);
    urlSource = "saved";
  } else {
    throw new CliError("no server configured: run `condense login --url URL`, or set CONDENSE_URL");
  }
  let auth: TAuth | undefined;
  if (env.CONDENSE_API_KEY) auth = { kind: "apiKey", apiKey: env.CONDENSE_API_KEY };
  else if (saved && normalizeBaseUrl(saved.url) === baseUrl) auth = { kind: "session", sessionToken: saved.sessionToken };
  return { baseUrl, urlSource, auth };
}
