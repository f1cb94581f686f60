import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { REPO_ROOT } from "./run-migrations";

const require = createRequire(import.meta.url);

/** Sources compiled into the web app: one newer than the build makes the build stale. */
const WEB_SOURCES = ["app", "server", "contracts", "worker", "client", "generated", "next.config.ts", "package.json"];

export type TWebBuildState = "missing" | "stale" | "fresh";

async function findNewestMtimeMs(target: string): Promise<number> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of await readdir(target, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    newest = Math.max(newest, await findNewestMtimeMs(path.join(target, entry.name)));
  }
  return newest;
}

/** Whether `.next/` holds a production build, and whether a source changed after it (e.g. after `git pull`). */
export async function checkWebBuild(dir = REPO_ROOT): Promise<TWebBuildState> {
  const buildId = path.join(dir, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return "missing";
  const builtAtMs = (await stat(buildId)).mtimeMs;
  for (const source of WEB_SOURCES) {
    if ((await findNewestMtimeMs(path.join(dir, source))) > builtAtMs) return "stale";
  }
  return "fresh";
}

/**
 * Runs `next build`. Its output goes to stderr so that stdout keeps only serve's own lines. The type check is
 * skipped unless CONDENSE_BUILD_SKIP_TYPECHECK=0: `npm test` type-checks the project, and a user starting the
 * platform should not wait for it. Rejects with the exit code; Next has printed the reason above it.
 */
export async function buildWebApp(opts: { dir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ durationMs: number }> {
  const started = Date.now();
  const nextBin = path.join(path.dirname(require.resolve("next/package.json")), "dist", "bin", "next");
  const env = { ...(opts.env ?? process.env) };
  env.CONDENSE_BUILD_SKIP_TYPECHECK ??= "1";
  env.NEXT_TELEMETRY_DISABLED ??= "1";
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, "build"], { cwd: opts.dir ?? REPO_ROOT, env, stdio: ["ignore", process.stderr, process.stderr] });
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`building the portal failed (next build exited with ${signal ?? `code ${code}`}); see the output above`)),
    );
  });
  return { durationMs: Date.now() - started };
}
