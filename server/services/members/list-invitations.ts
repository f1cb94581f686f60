import type { Invitation } from "../../../generated/prisma/client";
import { assertCursorInWorkspace, toPage, type TPage } from "../pagination";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

/** Open invitations (not accepted, revoked or expired) of the workspace, newest first. */
export async function listInvitations(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  input: { limit: number; cursor?: string | null },
): Promise<TPage<Invitation>> {
  if (input.cursor) await assertCursorInWorkspace(deps.prisma.invitation, caller.workspaceId, input.cursor);
  const rows = await deps.prisma.invitation.findMany({
    where: { workspaceId: caller.workspaceId, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  return toPage(rows, input.limit);
}
