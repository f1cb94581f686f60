import { AppError } from "../../../contracts/app-error";
import type { TRoleCaller, TServiceDeps } from "../service-deps";

/**
 * Removes a member (owners; anyone may remove themselves, i.e. leave). In one transaction the membership, the
 * member's sessions in this workspace and the API keys they created here go, so their access ends with the
 * very next request. The last owner cannot be removed: the workspace would have nobody to manage it.
 */
export async function removeMember(deps: Pick<TServiceDeps, "prisma">, caller: TRoleCaller, userId: string): Promise<void> {
  if (caller.role !== "owner" && caller.userId !== userId) {
    throw new AppError("FORBIDDEN", { userMessage: "only workspace owners can remove other members" });
  }
  await deps.prisma.$transaction(async (tx) => {
    // Serialises concurrent removals in this workspace, so two owners removing each other cannot leave none.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`members:${caller.workspaceId}`}))`;
    const member = await tx.membership.findUnique({ where: { userId_workspaceId: { userId, workspaceId: caller.workspaceId } } });
    if (!member) throw new AppError("NOT_FOUND", { userMessage: `member ${userId} not found` });
    if (member.role === "owner") {
      const owners = await tx.membership.count({ where: { workspaceId: caller.workspaceId, role: "owner" } });
      if (owners <= 1) throw new AppError("CONFLICT", { userMessage: "the last owner cannot be removed: make another member an owner first" });
    }
    await tx.membership.delete({ where: { userId_workspaceId: { userId, workspaceId: caller.workspaceId } } });
    await tx.session.deleteMany({ where: { userId, workspaceId: caller.workspaceId } });
    await tx.apiKey.updateMany({ where: { createdById: userId, workspaceId: caller.workspaceId, revokedAt: null }, data: { revokedAt: new Date() } });
  });
}
