import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "./run-migrations";

export type TWorkerSupervisor = {
  /** The current worker process (changes after a restart). */
  current: () => ChildProcess | undefined;
  restarts: () => number;
  /** Stops the worker (SIGTERM: it drains, then hands running jobs back) and stops restarting it. */
  stop: (opts?: { graceMs?: number }) => Promise<void>;
};

const BIN = path.join(REPO_ROOT, "bin", "condense.mjs");
const PRELOAD = pathToFileURL(path.join(REPO_ROOT, "server", "start", "exit-with-parent.mjs")).href;
/** A worker that ran this long is considered healthy: the restart delay starts over. */
const HEALTHY_AFTER_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Runs `condense worker` as a child with the given environment and restarts it when it dies unexpectedly
 * (1 s, 2 s, 4 s ... up to 30 s between attempts). The worker gets its own process group, so Ctrl-C in a terminal
 * reaches only serve, which then stops the worker first and in order.
 */
export function superviseWorker(opts: {
  env: NodeJS.ProcessEnv;
  args?: string[];
  onEvent?: (line: string) => void;
}): TWorkerSupervisor {
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let delayMs = 1_000;
  let restartTimer: NodeJS.Timeout | undefined;

  const launch = () => {
    const startedAt = Date.now();
    const proc = spawn(process.execPath, ["--import", PRELOAD, BIN, "worker", ...(opts.args ?? [])], {
      cwd: REPO_ROOT,
      env: opts.env,
      stdio: ["pipe", "inherit", "inherit"],
      detached: true,
    });
    child = proc;
    proc.once("exit", (code, signal) => {
      if (stopping) return;
      if (Date.now() - startedAt > HEALTHY_AFTER_MS) delayMs = 1_000;
      opts.onEvent?.(`worker exited (${signal ?? `code ${code}`}); restarting it in ${Math.round(delayMs / 1000)} s`);
      restartTimer = setTimeout(() => {
        restarts += 1;
        launch();
      }, delayMs);
      delayMs = Math.min(delayMs * 2, MAX_RESTART_DELAY_MS);
    });
  };
  launch();

  return {
    current: () => child,
    restarts: () => restarts,
    stop: async ({ graceMs = 20_000 } = {}) => {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
        proc.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        proc.kill("SIGTERM");
      });
    },
  };
}
