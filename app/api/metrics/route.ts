import { timingSafeEqual } from "node:crypto";
import { getConfig } from "../../../server/config";
import { getPrisma } from "../../../server/db/prisma";
import { PROMETHEUS_CONTENT_TYPE } from "../../../server/metrics/prometheus-text";
import { renderWebMetrics } from "../../../server/metrics/web-metrics";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Prometheus metrics of the platform (text exposition format); bearer-protected when METRICS_BEARER_TOKEN is set. */
export async function GET(req: Request): Promise<Response> {
  const token = getConfig().METRICS_BEARER_TOKEN;
  if (token && !matchesBearer(req.headers.get("authorization"), token)) {
    return new Response("unauthorized\n", { status: 401, headers: { "www-authenticate": "Bearer" } });
  }
  try {
    return new Response(await renderWebMetrics(getPrisma()), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" } });
  } catch (err) {
    // A failed scrape must be visible as one (Prometheus marks the target down), not as zeros.
    return new Response(`metrics unavailable: ${(err as Error).message}\n`, { status: 503 });
  }
}

function matchesBearer(header: string | null, token: string): boolean {
  const given = Buffer.from(header?.startsWith("Bearer ") ? header.slice(7) : "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
