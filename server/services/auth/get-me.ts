import { AppError } from "../../../contracts/app-error";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

export type TMe = { user: { id: string; email: string }; workspace: { id: string; name: string; role: string } };

/** The signed-in user and the workspace their credential acts in. */
export async function getMe(deps: Pick<TServiceDeps, "prisma">, caller: TServiceCaller): Promise<TMe> {
  const membership = await deps.prisma.membership.findUnique({
    where: { userId_workspaceId: { userId: caller.userId, workspaceId: caller.workspaceId } },
    select: { role: true, user: { select: { id: true, email: true } }, workspace: { select: { id: true, name: true } } },
  });
  // Membership removed after the session was made: treat like no session (issue 7: removal revokes access).
  if (!membership) throw new AppError("UNAUTHENTICATED", { userMessage: "you are no longer a member of this workspace: sign in again" });
  return { user: membership.user, workspace: { ...membership.workspace, role: membership.role } };
}
