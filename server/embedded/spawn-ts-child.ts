import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

/**
 * Node arguments that run a TypeScript entry through tsx. The loader is given by absolute URL so that the
 * child starts the same way whatever the current directory is (`npx condense serve` from elsewhere).
 */
export function buildTsEntryArgs(entry: string, nodeFlags: string[] = []): string[] {
  return [...nodeFlags, "--import", pathToFileURL(require.resolve("tsx")).href, entry];
}

/**
 * Spawns a TypeScript child that announces itself with one JSON status line on stdout
 * (`{"ready":true,...}` or `{"error":"..."}`), and resolves with that line once it is ready.
 * Its stdin stays a pipe: the child exits when it closes, so it never outlives this process.
 */
export async function spawnReadyChild<T extends { ready?: boolean; error?: string }>(opts: {
  entry: string;
  env: NodeJS.ProcessEnv;
  nodeFlags?: string[];
  name: string;
  startTimeoutMs?: number;
}): Promise<{ child: ChildProcess; status: T }> {
  const child = spawn(process.execPath, buildTsEntryArgs(opts.entry, opts.nodeFlags), {
    env: opts.env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const status = await new Promise<T>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${opts.name} did not start within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    let settled = false;
    lines.on("line", (line) => {
      if (settled) return;
      let msg: T;
      try {
        msg = JSON.parse(line) as T;
      } catch {
        return; // not our status line
      }
      if (msg.error) {
        settled = true;
        clearTimeout(timer);
        reject(new Error(msg.error));
      } else if (msg.ready) {
        settled = true;
        clearTimeout(timer);
        resolve(msg);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (!settled) reject(new Error(`${opts.name} exited during start-up (${signal ?? `code ${code}`})`));
    });
  });
  return { child, status };
}

/** Asks a child to stop (SIGTERM, then SIGKILL after `graceMs`) and resolves once it has exited. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
