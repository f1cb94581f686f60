/**
 * Shared pieces of the webhooks-*.test.ts files: a real HTTP receiver that records every request and verifies its
 * Standard Webhooks signature with the `standardwebhooks` library (as a customer's receiver would), and helpers to
 * wait for deliveries.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export type TReceivedWebhook = {
  id: string;
  timestamp: string;
  signature: string;
  eventType: string | undefined;
  body: string;
  headers: IncomingHttpHeaders;
  receivedAtMs: number;
};

/** What the receiver answers: a status (and optional headers/body), or a delay before answering. */
export type TReceiverReply = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

export type TWebhookReceiver = {
  url: string;
  received: TReceivedWebhook[];
  /** Sets the replies for the next requests, in order; when used up, answers 200. */
  reply: (...replies: TReceiverReply[]) => void;
  /** Resolves once `count` requests arrived. */
  waitForCount: (count: number, timeoutMs?: number) => Promise<TReceivedWebhook[]>;
  close: () => Promise<void>;
};

/** Starts a receiver on 127.0.0.1 with a random port. `path` lets one receiver serve several endpoints. */
export async function startWebhookReceiver(path = "/hook"): Promise<TWebhookReceiver> {
  const received: TReceivedWebhook[] = [];
  let replies: TReceiverReply[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        id: String(req.headers["webhook-id"] ?? ""),
        timestamp: String(req.headers["webhook-timestamp"] ?? ""),
        signature: String(req.headers["webhook-signature"] ?? ""),
        eventType: req.headers["condense-event"] as string | undefined,
        body: Buffer.concat(chunks).toString("utf8"),
        headers: req.headers,
        receivedAtMs: Date.now(),
      });
      for (const w of waiters) w();
      const r = replies.shift() ?? { status: 200, body: "ok" };
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(r.status, r.headers ?? {});
        res.end(r.body ?? "");
      };
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    reply: (...r) => {
      replies = r;
    },
    waitForCount: (count, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(received.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${count} webhook requests; got ${received.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Verifies a received request with the standardwebhooks library; returns the parsed body or throws. */
export function verifyWebhook(secret: string, w: Pick<TReceivedWebhook, "id" | "timestamp" | "signature" | "body">): unknown {
  return new Webhook(secret).verify(w.body, { "webhook-id": w.id, "webhook-timestamp": w.timestamp, "webhook-signature": w.signature });
}
