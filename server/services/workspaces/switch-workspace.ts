import { AppError } from "../../../contracts/app-error";
import type { TServiceDeps } from "../service-deps";

/**
 * Points a session at another workspace of the same user. The session token stays the same, so the browser's
 * cookie and the CLI's saved token keep working; NOT_FOUND for workspaces the user is not a member of.
 */
export async function switchWorkspace(
  deps: Pick<TServiceDeps, "prisma">,
  input: { sessionId: string; userId: string; workspaceId: string },
): Promise<{ id: string; name: string; role: string }> {
  const membership = await deps.prisma.membership.findUnique({
    where: { userId_workspaceId: { userId: input.userId, workspaceId: input.workspaceId } },
    include: { workspace: { select: { id: true, name: true } } },
  });
  if (!membership) throw new AppError("NOT_FOUND", { userMessage: `workspace ${input.workspaceId} not found among your workspaces` });
  await deps.prisma.session.update({ where: { id: input.sessionId }, data: { workspaceId: input.workspaceId } });
  return { ...membership.workspace, role: membership.role };
}
