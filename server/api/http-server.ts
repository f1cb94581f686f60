import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { handleTrpcRequest, TRPC_ENDPOINT } from "./handler";
import { handleOpenApiRequest, OPENAPI_PATH } from "./openapi";
import type { TApiDeps } from "./trpc";

export type TApiServer = { url: string; server: Server; close: () => Promise<void> };

/** Converts a node request to a fetch Request (body streamed, not buffered). */
export function toFetchRequest(req: IncomingMessage, baseUrl: string): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else if (value !== undefined) headers.set(key, value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", baseUrl), {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    // Node's fetch needs this for streamed request bodies.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Writes a fetch Response to a node response, keeping repeated Set-Cookie headers apart. */
export async function writeFetchResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie") res.setHeader(key, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
  }
  res.end();
}

/**
 * A plain node HTTP server serving the tRPC API (and /api/health) without Next.js, on the same handler the
 * Next route uses. For tests and tools that need the API alone; port 0 picks a free port.
 */
export async function startApiServer(deps: TApiDeps, opts: { port?: number; host?: string } = {}): Promise<TApiServer> {
  const host = opts.host ?? "127.0.0.1";
  let baseUrl = "";
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const respond = async (): Promise<Response> => {
      if (path === "/api/health") return Response.json({ ok: true });
      if (path === OPENAPI_PATH) return handleOpenApiRequest(toFetchRequest(req, baseUrl));
      if (path.startsWith(`${TRPC_ENDPOINT}/`)) return handleTrpcRequest(toFetchRequest(req, baseUrl), deps);
      return Response.json({ error: "not found" }, { status: 404 });
    };
    respond()
      .then((response) => writeFetchResponse(res, response))
      .catch((err: unknown) => {
        if (!res.headersSent) res.statusCode = 500;
        res.end(String((err as Error).message));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${host}:${port}`;
  return {
    url: baseUrl,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
