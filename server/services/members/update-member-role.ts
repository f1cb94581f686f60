import { AppError } from "../../../contracts/app-error";
import type { TRoleCaller, TServiceDeps } from "../service-deps";
import { requireOwner } from "./require-owner";

/** Makes a member an owner or a member (owners only); the last owner cannot step down. */
export async function updateMemberRole(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TRoleCaller,
  input: { userId: string; role: "owner" | "member" },
): Promise<void> {
  requireOwner(caller, "change roles");
  await deps.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`members:${caller.workspaceId}`}))`;
    const member = await tx.membership.findUnique({ where: { userId_workspaceId: { userId: input.userId, workspaceId: caller.workspaceId } } });
    if (!member) throw new AppError("NOT_FOUND", { userMessage: `member ${input.userId} not found` });
    if (member.role === "owner" && input.role !== "owner") {
      const owners = await tx.membership.count({ where: { workspaceId: caller.workspaceId, role: "owner" } });
      if (owners <= 1) throw new AppError("CONFLICT", { userMessage: "the last owner cannot step down: make another member an owner first" });
    }
    await tx.membership.update({ where: { userId_workspaceId: { userId: input.userId, workspaceId: caller.workspaceId } }, data: { role: input.role } });
  });
}
