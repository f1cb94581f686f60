import { buildSessionCookie } from "../../../auth/session-token";
import type { TCreatedSession } from "../../../services/auth/create-session";
import type { TContext } from "../../trpc";
import type { TSessionResponse } from "./auth.types";

/** Sets the session cookie on the response and returns the session DTO (token included, for the CLI). */
export function respondWithSession(ctx: TContext, session: TCreatedSession): TSessionResponse {
  ctx.resHeaders.append("set-cookie", buildSessionCookie(session.token, { expiresAt: session.expiresAt, secure: ctx.secure }));
  return { token: session.token, expiresAt: session.expiresAt.toISOString(), user: session.user, workspace: session.workspace };
}
