import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { isAppError } from "../../contracts/app-error";
import { getConfig } from "../config";
import { getPrisma } from "../db/prisma";
import { createLogger } from "../logger";
import { enqueueJob, enqueueTuneJob } from "../queue/job-queue";
import { recordHttpRequest } from "../metrics/web-metrics";
import { getObjectStore } from "../storage/object-store";
import { appRouter } from "./root";
import { createTRPCContext, type TApiDeps } from "./trpc";

/** Path the API is mounted at (app/api/trpc/[trpc]/route.ts). */
export const TRPC_ENDPOINT = "/api/trpc";

const logger = createLogger("api");

/** The process-wide dependencies from the environment (DATABASE_URL, S3_*, pg-boss). */
export function getDefaultApiDeps(): TApiDeps {
  return { prisma: getPrisma(), store: getObjectStore(), config: getConfig(), enqueueJob, enqueueTuneJob };
}

/**
 * Answers one tRPC HTTP request. Errors a user caused are answered, not logged as failures;
 * unexpected ones are logged with the path so operators can find them.
 */
export async function handleTrpcRequest(req: Request, deps: TApiDeps = getDefaultApiDeps()): Promise<Response> {
  const startedAtMs = performance.now();
  const response = await fetchRequestHandler({
    endpoint: TRPC_ENDPOINT,
    req,
    router: appRouter,
    createContext: (opts) => createTRPCContext(deps, opts),
    responseMeta({ errors }) {
      // 429s carry Retry-After (seconds) so clients and proxies know when to come back.
      for (const error of errors) {
        const cause = error.cause;
        if (isAppError(cause) && cause.code === "RATE_LIMITED" && typeof cause.details?.retryAfterSeconds === "number") {
          return { headers: new Headers({ "retry-after": String(cause.details.retryAfterSeconds) }) };
        }
      }
      return {};
    },
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") logger.error({ err: error.cause ?? error, path }, "tRPC procedure failed");
    },
  });
  // Label by procedure path (bounded set), never by the raw URL (which carries inputs).
  recordHttpRequest(describeProcedureLabel(req.url), req.method, response.status, (performance.now() - startedAtMs) / 1000);
  return response;
}

const KNOWN_PROCEDURES: ReadonlySet<string> = new Set(Object.keys(appRouter._def.procedures));

/** Metric label for a request: the procedure path(s) when they exist, else "unknown" so callers cannot grow label sets. */
function describeProcedureLabel(url: string): string {
  const paths = decodeURIComponent(new URL(url).pathname.slice(TRPC_ENDPOINT.length + 1)).split(",");
  return paths.every((p) => KNOWN_PROCEDURES.has(p)) ? paths.join(",") : "unknown";
}
