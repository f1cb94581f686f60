import http from "node:http";
import https from "node:https";
import { assertDeliverableUrl, createGuardedLookup, ForbiddenWebhookTargetError } from "./ssrf-guard";

/** Bytes of the response body kept for the delivery log. */
export const RESPONSE_SNIPPET_BYTES = 1024;

/** The outcome of one HTTP attempt. `ok` is true for 2xx only. */
export type TWebhookResponse = {
  ok: boolean;
  /** HTTP status, or null when there was no response (refused address, timeout, connection error). */
  statusCode: number | null;
  latencyMs: number;
  /** The first 1 KiB of the response body (UTF-8, lossy). */
  responseSnippet: string | null;
  /** Why the attempt failed, user-readable; null on success. */
  error: string | null;
};

/**
 * POSTs one webhook: no redirects followed (a 3xx is a failure: following it would let a receiver bounce us to an
 * internal address), `timeoutMs` for everything from connect to the last byte we read, the SSRF guard on the
 * resolved address at connect time, and at most 1 KiB of the answer read.
 */
export async function sendWebhookRequest(opts: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowLoopback: boolean;
}): Promise<TWebhookResponse> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let url: URL;
  try {
    url = assertDeliverableUrl(opts.url, { allowLoopback: opts.allowLoopback });
  } catch (err) {
    return { ok: false, statusCode: null, latencyMs: elapsed(), responseSnippet: null, error: (err as Error).message };
  }
  const lookup = createGuardedLookup({ allowLoopback: opts.allowLoopback });
  const transport = url.protocol === "https:" ? https : http;
  // A fresh agent per attempt: keep-alive sockets would skip the connect-time address check on reuse.
  const agent = new transport.Agent({ keepAlive: false, lookup: lookup as unknown as http.AgentOptions["lookup"] });
  return new Promise<TWebhookResponse>((resolve) => {
    let settled = false;
    const finish = (r: Omit<TWebhookResponse, "latencyMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      agent.destroy();
      resolve({ ...r, latencyMs: elapsed() });
    };
    const req = transport.request(
      url,
      {
        method: "POST",
        agent,
        headers: { ...opts.headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(opts.body)) },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let kept = 0;
        const done = () => {
          const snippet = Buffer.concat(chunks).subarray(0, RESPONSE_SNIPPET_BYTES).toString("utf8");
          const ok = status >= 200 && status < 300;
          const error = ok
            ? null
            : status >= 300 && status < 400
              ? `redirects are not followed (HTTP ${status}${res.headers.location ? ` to ${res.headers.location}` : ""}): use the final URL`
              : `HTTP ${status}`;
          finish({ ok, statusCode: status, responseSnippet: snippet || null, error });
          res.destroy();
        };
        res.on("data", (chunk: Buffer) => {
          if (kept < RESPONSE_SNIPPET_BYTES) chunks.push(chunk);
          kept += chunk.length;
          // Enough for the log: stop reading a receiver that streams a large (or endless) body.
          if (kept >= RESPONSE_SNIPPET_BYTES) done();
        });
        res.on("end", done);
        res.on("error", done);
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, statusCode: null, responseSnippet: null, error: `timed out after ${opts.timeoutMs} ms` });
      req.destroy();
    }, opts.timeoutMs);
    req.on("error", (err) => {
      const message = err instanceof ForbiddenWebhookTargetError ? err.message : `could not deliver: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
      finish({ ok: false, statusCode: null, responseSnippet: null, error: message });
    });
    req.end(opts.body);
  });
}
