import { AppError } from "../../../contracts/app-error";
import type { TRoleCaller, TServiceDeps } from "../service-deps";
import { requireOwner } from "./require-owner";

/** Withdraws an open invitation (owners only): its link stops working. */
export async function revokeInvitation(deps: Pick<TServiceDeps, "prisma">, caller: TRoleCaller, invitationId: string): Promise<void> {
  requireOwner(caller, "revoke invitations");
  const updated = await deps.prisma.invitation.updateMany({
    where: { id: invitationId, workspaceId: caller.workspaceId, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (updated.count === 0) throw new AppError("NOT_FOUND", { userMessage: `open invitation ${invitationId} not found` });
}
