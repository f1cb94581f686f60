import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { isAppError } from "../../contracts/app-error";
import { getConfig } from "../config";
import { getPrisma } from "../db/prisma";
import { createLogger } from "../logger";
import { enqueueJob } from "../queue/job-queue";
import { getObjectStore } from "../storage/object-store";
import { appRouter } from "./root";
import { createTRPCContext, type TApiDeps } from "./trpc";

/** Path the API is mounted at (app/api/trpc/[trpc]/route.ts). */
export const TRPC_ENDPOINT = "/api/trpc";

const logger = createLogger("api");

/** The process-wide dependencies from the environment (DATABASE_URL, S3_*, pg-boss). */
export function getDefaultApiDeps(): TApiDeps {
  return { prisma: getPrisma(), store: getObjectStore(), config: getConfig(), enqueueJob };
}

/**
 * Answers one tRPC HTTP request. Errors a user caused are answered, not logged as failures;
 * unexpected ones are logged with the path so operators can find them.
 */
export function handleTrpcRequest(req: Request, deps: TApiDeps = getDefaultApiDeps()): Promise<Response> {
  return fetchRequestHandler({
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
}
