/**
 * tRPC setup: the request context, the procedure builders and the one error formatter.
 * Only this folder knows TRPCError; services throw AppError and `appErrorMiddleware` translates.
 * Plain JSON on the wire (no transformer): DTO timestamps are ISO strings, sizes are numbers, so the same
 * shapes serve the typed client, curl users, the OpenAPI document and webhook bodies (issue 7).
 */
import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { z, ZodError } from "zod";
import { isAppError, type TAppErrorCode } from "../../contracts/app-error";
import { resolveCaller, type TAuthState, type TCaller } from "../auth/resolve-caller";
import { isSecureRequest } from "../auth/session-token";
import { enforceRateLimits } from "../services/limits/consume-rate-limit";
import type { TServiceDeps } from "../services/service-deps";

export type TApiDeps = TServiceDeps;

export type TContext = {
  deps: TApiDeps;
  req: Request;
  /** Response headers (Set-Cookie) the fetch adapter sends with the reply. */
  resHeaders: Headers;
  auth: TAuthState;
  /** True when the request came over https: the session cookie is then marked Secure. */
  secure: boolean;
};

/** Builds the per-request context: resolves the caller from the session cookie or Bearer token. */
export async function createTRPCContext(deps: TApiDeps, opts: { req: Request; resHeaders: Headers }): Promise<TContext> {
  const auth = await resolveCaller(deps.prisma, opts.req.headers);
  return { deps, req: opts.req, resHeaders: opts.resHeaders, auth, secure: isSecureRequest(opts.req) };
}

/** AppError code -> tRPC code (and through it the HTTP status). */
export const APP_TO_TRPC_CODE: Record<TAppErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_INPUT: "BAD_REQUEST",
  UNAUTHENTICATED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNPROCESSABLE: "UNPROCESSABLE_CONTENT",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  INTERNAL: "INTERNAL_SERVER_ERROR",
};

const GENERIC_INTERNAL_MESSAGE = "something went wrong on our side: try again, and tell us if it keeps happening";

/** "name: Too small; steps[0].pass: Invalid input" — the zod issues as one readable line. */
function formatZodIssues(error: ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.map((p, idx) => (typeof p === "number" ? `[${p}]` : `${idx === 0 ? "" : "."}${String(p)}`)).join("");
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join("; ");
}

/**
 * Per-procedure metadata, read by the OpenAPI generator (server/api/openapi.ts). The builders below set `auth`;
 * procedures need not set anything.
 */
export type TProcedureMeta = {
  /** "none": public; "bearer": session or API key; "session": a signed-in session only. */
  auth?: "none" | "bearer" | "session";
};

const t = initTRPC.context<TContext>().meta<TProcedureMeta>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const zodError = cause instanceof ZodError ? z.flattenError(cause) : null;
    const appError = isAppError(cause) ? cause : null;
    let message = shape.message;
    if (appError) message = appError.userMessage;
    else if (cause instanceof ZodError) message = `invalid input: ${formatZodIssues(cause)}`;
    else if (error.code === "INTERNAL_SERVER_ERROR") message = GENERIC_INTERNAL_MESSAGE;
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        /** The AppError code, when a service raised one. */
        appCode: appError?.code ?? null,
        details: appError?.details ?? null,
        zodError,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Turns a service's AppError into the matching TRPCError, keeping the AppError as cause for the formatter. */
const appErrorMiddleware = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isAppError(result.error.cause)) {
    const appError = result.error.cause;
    throw new TRPCError({ code: APP_TO_TRPC_CODE[appError.code], message: appError.userMessage, cause: appError });
  }
  return result;
});

/** No credentials needed (sign up, sign in, presets). */
export const publicProcedure = t.procedure.use(appErrorMiddleware).meta({ auth: "none" });

/** Needs a valid session or API key; `ctx.caller` is workspace-scoped. No rate limit (see `protectedProcedure`). */
const authenticatedProcedure = publicProcedure.meta({ auth: "bearer" }).use(({ ctx, next }) => {
  if (ctx.auth.status === "expired") {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "your session expired, sign in again" });
  }
  if (ctx.auth.status !== "authenticated") {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "you are not signed in (or the API key was revoked): sign in or pass a valid API key" });
  }
  const caller: TCaller = ctx.auth.caller;
  return next({ ctx: { ...ctx, caller } });
});

/**
 * Needs a valid session or API key (`Authorization: Bearer cnd_live_…`); `ctx.caller` is workspace-scoped.
 * Every call takes a token from the workspace's bucket and, for API keys, from the key's own bucket
 * (RATE_LIMIT_*_PER_MINUTE, kept in PostgreSQL so all web replicas share them); an empty bucket is 429 + Retry-After.
 */
export const protectedProcedure = authenticatedProcedure.use(async ({ ctx, next }) => {
  const { config, prisma } = ctx.deps;
  const limits = [];
  if (ctx.caller.credential.kind === "apiKey") {
    limits.push({ bucketKey: `key:${ctx.caller.credential.apiKeyId}`, perMinute: config.RATE_LIMIT_KEY_PER_MINUTE, label: "API key" });
  }
  limits.push({ bucketKey: `ws:${ctx.caller.workspaceId}`, perMinute: config.RATE_LIMIT_WORKSPACE_PER_MINUTE, label: "workspace" });
  await enforceRateLimits(prisma, limits);
  return next();
});

/**
 * Only for a signed-in user, not an API key: managing API keys and switching workspaces. A leaked key must not be
 * able to mint more keys (persistence) or act in the user's other workspaces.
 */
export const sessionProcedure = protectedProcedure.meta({ auth: "session" }).use(({ ctx, next }) => {
  const credential = ctx.caller.credential;
  if (credential.kind !== "session") {
    throw new TRPCError({ code: "FORBIDDEN", message: "this needs a signed-in session, not an API key: use the portal or `condense login`" });
  }
  return next({ ctx: { ...ctx, session: { sessionId: credential.sessionId } } });
});
