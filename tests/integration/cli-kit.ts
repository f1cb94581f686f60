/** Shared by the CLI integration tests: run the real `condense` bin the way a user's shell would. */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CONDENSE_BIN = path.join(REPO_ROOT, "bin", "condense.mjs");

export type TRunResult = { code: number | null; stdout: string; stderr: string };
export type TRunOptions = { stdin?: string; extraEnv?: Record<string, string>; timeoutMs?: number };

/**
 * Runs `condense ARGS` in `cwd` with a clean environment: only PATH, a private HOME/XDG_CONFIG_HOME under `cwd`
 * (so saved credentials never leak between tests) and `extraEnv`.
 */
export function runCondenseIn(cwd: string, args: string[], opts: TRunOptions = {}): Promise<TRunResult> {
  const child = spawn(process.execPath, [CONDENSE_BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: path.join(cwd, "home"), XDG_CONFIG_HOME: path.join(cwd, "xdg"), ...opts.extraEnv } as unknown as NodeJS.ProcessEnv,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin!.end(opts.stdin ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`condense ${args.join(" ")} timed out; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
