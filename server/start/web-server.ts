import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { REPO_ROOT } from "./run-migrations";

export type TWebServer = { url: string; port: number; close: () => Promise<void> };

export type TPreparedWebServer = {
  /** Starts accepting requests; call once the database and storage are ready. */
  listen: () => Promise<TWebServer>;
  /** Releases Next.js when start-up fails before `listen`. */
  close: () => Promise<void>;
};

/**
 * Loads the production build of the portal and API (`.next/`) into this process: Next.js as a request handler on
 * our own http server (Next's custom-server mode), so `condense serve` is one process for web + orchestration.
 * Loading (~1-3 s) is split from listening so that it overlaps with the database start-up.
 * Route handlers read config on first request, so DATABASE_URL / S3_ENDPOINT must be in process.env by `listen`.
 */
export async function prepareWebServer(opts: { host: string; port: number; dir?: string }): Promise<TPreparedWebServer> {
  // Imported here, not at the top: loading Next costs ~0.5 s and `condense --help` should not pay for it.
  const { default: createNext } = await import("next");
  const app = createNext({ dev: false, dir: opts.dir ?? REPO_ROOT, hostname: opts.host, port: opts.port, customServer: true });
  await app.prepare();
  const handle = app.getRequestHandler();
  return {
    close: () => app.close(),
    listen: async () => {
      const sockets = new Set<Socket>();
      const server: Server = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          process.stderr.write(`web request failed: ${(err as Error).message}\n`);
          if (!res.headersSent) res.statusCode = 500;
          res.end();
        });
      });
      server.on("connection", (socket) => {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
      });
      const port = await new Promise<number>((resolve, reject) => {
        server.once("error", (err: NodeJS.ErrnoException) =>
          reject(err.code === "EADDRINUSE" ? new Error(`port ${opts.port} on ${opts.host} (web app) is already in use: stop what uses it or set PORT (or --port) to another port`) : err),
        );
        server.listen(opts.port, opts.host, () => {
          const address = server.address();
          resolve(typeof address === "object" && address ? address.port : opts.port);
        });
      });
      const linkHost = opts.host === "0.0.0.0" || opts.host === "::" ? "127.0.0.1" : opts.host;
      return {
        url: `http://${linkHost.includes(":") ? `[${linkHost}]` : linkHost}:${port}`,
        port,
        close: async () => {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          // Idle keep-alive connections would hold close() open; in-flight requests get a moment to finish.
          server.closeIdleConnections();
          const force = setTimeout(() => {
            for (const socket of sockets) socket.destroy();
          }, 3_000);
          await closed;
          clearTimeout(force);
          await app.close();
        },
      };
    },
  };
}
