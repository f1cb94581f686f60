import { CliError } from "./errors";
import type { TCliIo } from "./output";

/** Reads all of stdin (for `--password-stdin`), dropping one trailing newline as `echo`/`printf` pipelines add it. */
export async function readAllStdin(io: Pick<TCliIo, "stdin">): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Asks a question on stderr and reads one line from a TTY stdin (echoed). */
export async function promptLine(io: Pick<TCliIo, "stdin" | "stderr">, question: string): Promise<string> {
  return readTtyLine(io, question, { echo: true });
}

/** Asks for a secret on stderr and reads it from a TTY stdin without echo. */
export async function promptSecret(io: Pick<TCliIo, "stdin" | "stderr">, question: string): Promise<string> {
  return readTtyLine(io, question, { echo: false });
}

/**
 * Reads one line in raw mode so echo can be switched off for secrets. Raw mode also delivers Ctrl-C as a byte
 * rather than SIGINT, so it is handled here (exit 130) and the terminal is always restored.
 */
async function readTtyLine(io: Pick<TCliIo, "stdin" | "stderr">, question: string, opts: { echo: boolean }): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== "function") {
    throw new CliError("cannot prompt: stdin is not a terminal");
  }
  io.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      const onData = (chunk: Buffer | string) => {
        for (const ch of chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n" || ch === "\u0004") {
            stdin.off("data", onData);
            io.stderr.write("\n");
            resolve(value);
            return;
          }
          if (ch === "\u0003") {
            stdin.off("data", onData);
            io.stderr.write("\n");
            reject(new CliError("interrupted", { exitCode: 130 }));
            return;
          }
          if (ch === "\u007f" || ch === "\b") {
            if (value.length > 0) {
              value = [...value].slice(0, -1).join("");
              if (opts.echo) io.stderr.write("\b \b");
            }
            continue;
          }
          // Other control characters (arrows send escape sequences) are ignored rather than stored.
          if (ch < " ") continue;
          value += ch;
          if (opts.echo) io.stderr.write(ch);
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}
