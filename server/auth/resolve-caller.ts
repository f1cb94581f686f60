import type { PrismaClient } from "../db/prisma";
import { SESSION_COOKIE_NAME, hashToken, readCookie } from "./session-token";

/** Who is calling, once authenticated. Every model/job/artifact query filters by `workspaceId`. */
export type TCaller = {
  userId: string;
  workspaceId: string;
  /** How the caller proved who they are; sign-out revokes a session credential. API keys (issue 7) add a kind. */
  credential: { kind: "session"; sessionId: string };
};

/**
 * The outcome of reading a request's credentials. "expired" is kept apart from "none" so the user is told
 * to sign in again rather than that they never signed in.
 */
export type TAuthState = { status: "authenticated"; caller: TCaller } | { status: "expired" } | { status: "anonymous" };

/** Extracts the raw credential: `Authorization: Bearer <token>` wins over the session cookie. */
export function readCredential(headers: Headers): string | undefined {
  const auth = headers.get("authorization");
  if (auth) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  return readCookie(headers.get("cookie"), SESSION_COOKIE_NAME);
}

/**
 * Resolves the caller from request headers (session cookie or Bearer session token).
 * Unknown tokens are "anonymous": we never say whether a token once existed.
 * Issue 7's API keys (`cnd_…` prefix) plug in here as a second credential kind.
 */
export async function resolveCaller(prisma: PrismaClient, headers: Headers, now = new Date()): Promise<TAuthState> {
  const token = readCredential(headers);
  if (!token) return { status: "anonymous" };
  const session = await prisma.session.findUnique({
    where: { tokenHash: hashToken(token) },
    select: {
      id: true,
      userId: true,
      workspaceId: true,
      expiresAt: true,
      // Same query: a member removed from the workspace loses access at once, even with a live session.
      user: { select: { memberships: { select: { workspaceId: true } } } },
    },
  });
  if (!session) return { status: "anonymous" };
  if (session.expiresAt.getTime() <= now.getTime()) return { status: "expired" };
  if (!session.user.memberships.some((m) => m.workspaceId === session.workspaceId)) return { status: "anonymous" };
  return {
    status: "authenticated",
    caller: { userId: session.userId, workspaceId: session.workspaceId, credential: { kind: "session", sessionId: session.id } },
  };
}
