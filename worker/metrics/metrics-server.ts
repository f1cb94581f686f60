import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TConfig } from "../../server/config";
import type { Logger } from "../../server/logger";
import { PROMETHEUS_CONTENT_TYPE } from "../../server/metrics/prometheus-text";
import { getWorkerRegistry } from "./worker-metrics";

export type TWorkerMetricsServer = { url: string; server: Server; close: () => Promise<void> };

/**
 * A tiny HTTP endpoint next to the worker: `GET /metrics` (Prometheus text) and `GET /healthz` (liveness: the
 * event loop answers). The worker has no other port, so this is what Kubernetes probes and Prometheus scrape.
 */
export async function startWorkerMetricsServer(opts: { port: number; host: string; render?: () => string }): Promise<TWorkerMetricsServer> {
  const render = opts.render ?? (() => getWorkerRegistry().render());
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
    } else if (path === "/metrics") {
      res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE }).end(req.method === "HEAD" ? undefined : render());
    } else if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
    } else {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  // The endpoint must never keep a draining worker alive.
  server.unref();
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts the endpoint when WORKER_METRICS_PORT is set (non-zero); logs where it listens. */
export async function startWorkerMetricsFromConfig(config: TConfig, logger: Logger): Promise<TWorkerMetricsServer | undefined> {
  if (config.WORKER_METRICS_PORT === 0) return undefined;
  const server = await startWorkerMetricsServer({ port: config.WORKER_METRICS_PORT, host: config.WORKER_METRICS_HOST });
  logger.info({ metricsUrl: `${server.url}/metrics` }, "worker metrics endpoint started");
  return server;
}
