import { PassThrough } from "node:stream";
import type { TCliIo } from "./output";
import type { TEnv } from "./output";

/** An in-memory io for running CLI commands in tests: collects stdout/stderr text. */
export function createTestIo(opts: { env?: TEnv; cwd?: string; stdinText?: string; signal?: AbortSignal } = {}) {
  let out = "";
  let err = "";
  const stdin = new PassThrough();
  stdin.end(opts.stdinText ?? "");
  const io: TCliIo = {
    stdout: { write: (c: string) => ((out += c), true), isTTY: false } as unknown as TCliIo["stdout"],
    stderr: { write: (c: string) => ((err += c), true), isTTY: false } as unknown as TCliIo["stderr"],
    stdin,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    signal: opts.signal ?? new AbortController().signal,
  };
  return { io, stdout: () => out, stderr: () => err };
}
