import { createSessionToken, hashToken } from "../../auth/session-token";
import type { TServiceDeps } from "../service-deps";

export type TCreatedSession = {
  /** The bearer token; shown once (cookie for browsers, returned to the CLI), only its hash is stored. */
  token: string;
  expiresAt: Date;
  user: { id: string; email: string };
  workspace: { id: string; name: string };
};

/** Creates a session row for a user in a workspace, expiring after SESSION_TTL_HOURS. */
export async function createSession(
  deps: Pick<TServiceDeps, "prisma" | "config">,
  ids: { userId: string; workspaceId: string },
): Promise<TCreatedSession> {
  const token = createSessionToken();
  const expiresAt = new Date(Date.now() + deps.config.SESSION_TTL_HOURS * 3600_000);
  const session = await deps.prisma.session.create({
    data: { tokenHash: hashToken(token), userId: ids.userId, workspaceId: ids.workspaceId, expiresAt },
    select: { user: { select: { id: true, email: true } }, workspace: { select: { id: true, name: true } } },
  });
  return { token, expiresAt, user: session.user, workspace: session.workspace };
}
