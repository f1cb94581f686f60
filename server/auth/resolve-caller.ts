import type { PrismaClient } from "../db/prisma";
import { isValidApiKey, looksLikeApiKey } from "./api-key-token";
import { SESSION_COOKIE_NAME, hashToken, readCookie } from "./session-token";

/** A member's role in a workspace. Owners manage members; both run jobs, keys and webhooks. */
export type TWorkspaceRole = "owner" | "member";

/** How the caller proved who they are. */
export type TCredential =
  /** A signed-in browser or CLI; sign-out deletes it. */
  | { kind: "session"; sessionId: string }
  /** A workspace API key (`cnd_live_…`); keys.revoke stops it at once. */
  | { kind: "apiKey"; apiKeyId: string };

/** Who is calling, once authenticated. Every model/job/artifact query filters by `workspaceId`. */
export type TCaller = {
  /** The signed-in user, or for an API key the member who created it. */
  userId: string;
  workspaceId: string;
  /** The user's current role in the workspace (read with every request, so a demotion applies at once). */
  role: TWorkspaceRole;
  credential: TCredential;
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

/** lastUsedAt is written at most this often per key: one UPDATE per request would make every call a write. */
export const API_KEY_LAST_USED_RESOLUTION_MS = 60_000;

function toRole(role: string): TWorkspaceRole {
  return role === "owner" ? "owner" : "member";
}

/**
 * Resolves the caller from request headers: an API key (`cnd_…`) or a session token (cookie or Bearer).
 * Unknown, malformed and revoked credentials are all "anonymous" (401): we never say whether a token once existed.
 */
export async function resolveCaller(prisma: PrismaClient, headers: Headers, now = new Date()): Promise<TAuthState> {
  const token = readCredential(headers);
  if (!token) return { status: "anonymous" };
  if (looksLikeApiKey(token)) return resolveApiKey(prisma, token, now);
  const session = await prisma.session.findUnique({
    where: { tokenHash: hashToken(token) },
    select: {
      id: true,
      userId: true,
      workspaceId: true,
      expiresAt: true,
      // Same query: a member removed from the workspace loses access at once, even with a live session.
      user: { select: { memberships: { select: { workspaceId: true, role: true } } } },
    },
  });
  if (!session) return { status: "anonymous" };
  if (session.expiresAt.getTime() <= now.getTime()) return { status: "expired" };
  const membership = session.user.memberships.find((m) => m.workspaceId === session.workspaceId);
  if (!membership) return { status: "anonymous" };
  return {
    status: "authenticated",
    caller: {
      userId: session.userId,
      workspaceId: session.workspaceId,
      role: toRole(membership.role),
      credential: { kind: "session", sessionId: session.id },
    },
  };
}

async function resolveApiKey(prisma: PrismaClient, token: string, now: Date): Promise<TAuthState> {
  // A bad checksum is a typo or a forgery: answer without touching the database.
  if (!isValidApiKey(token)) return { status: "anonymous" };
  const key = await prisma.apiKey.findUnique({
    where: { keyHash: hashToken(token) },
    select: { id: true, workspaceId: true, createdById: true, revokedAt: true, lastUsedAt: true },
  });
  if (!key || key.revokedAt || !key.createdById) return { status: "anonymous" };
  const membership = await prisma.membership.findUnique({
    where: { userId_workspaceId: { userId: key.createdById, workspaceId: key.workspaceId } },
    select: { role: true },
  });
  // Removing a member revokes their keys in the same transaction; this check covers rows from before that rule.
  if (!membership) return { status: "anonymous" };
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= API_KEY_LAST_USED_RESOLUTION_MS) {
    // Conditional, so concurrent requests of one key write once; a failed write must not fail the request.
    await prisma.apiKey
      .updateMany({
        where: { id: key.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - API_KEY_LAST_USED_RESOLUTION_MS) } }] },
        data: { lastUsedAt: now },
      })
      .catch(() => undefined);
  }
  return {
    status: "authenticated",
    caller: { userId: key.createdById, workspaceId: key.workspaceId, role: toRole(membership.role), credential: { kind: "apiKey", apiKeyId: key.id } },
  };
}
