/**
 * Child-process entry for the embedded PostgreSQL (PGlite behind our wire server).
 * PGlite is single-threaded WASM: in its own process its queries never stall the web server's event loop.
 * Prints one JSON line `{"ready":true,"port":N}` on stdout when listening, or `{"error":"..."}` and exits 1.
 * Stops on SIGTERM or when the parent goes away (stdin closes); ignores SIGINT so that Ctrl-C in a terminal,
 * which reaches the whole process group, lets the parent stop the worker and web server first.
 */
import { openEmbeddedPostgres } from "./pglite-server";

const dataDir = process.env.PGLITE_DATA_DIR ?? ".data/pg";
const port = Number(process.env.PGLITE_PORT ?? "0");
const host = process.env.PGLITE_HOST ?? "127.0.0.1";
const idleInTransactionTimeoutMs = process.env.PGLITE_IDLE_IN_TRANSACTION_TIMEOUT_MS ? Number(process.env.PGLITE_IDLE_IN_TRANSACTION_TIMEOUT_MS) : undefined;

function report(msg: Record<string, unknown>) {
  process.stdout.write(JSON.stringify(msg) + "\n");
}

try {
  const embedded = await openEmbeddedPostgres({ pgDataDir: dataDir, port, host, idleInTransactionTimeoutMs });
  report({ ready: true, port: embedded.port });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    embedded.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`embedded PostgreSQL did not stop cleanly: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", () => undefined);
  process.stdin.on("end", stop);
  process.stdin.resume();
} catch (err) {
  report({ error: (err as Error).message });
  process.exit(1);
}
