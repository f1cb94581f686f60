import { AppError } from "../../../contracts/app-error";
import { hashToken } from "../../auth/session-token";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

/**
 * Joins the invitation's workspace as the signed-in user. The invitation names an email address, and only the
 * account with that address can use it: a forwarded or leaked link is useless to anyone else.
 */
export async function acceptInvitation(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  input: { token: string },
): Promise<{ workspace: { id: string; name: string }; role: string }> {
  const invitation = await deps.prisma.invitation.findUnique({
    where: { tokenHash: hashToken(input.token) },
    include: { workspace: { select: { id: true, name: true } } },
  });
  const invalid = new AppError("NOT_FOUND", { userMessage: "this invitation link is not valid (used, withdrawn or expired): ask for a new one" });
  if (!invitation || invitation.acceptedAt || invitation.revokedAt || invitation.expiresAt.getTime() <= Date.now()) throw invalid;
  const user = await deps.prisma.user.findUniqueOrThrow({ where: { id: caller.userId }, select: { email: true } });
  if (user.email !== invitation.email) {
    throw new AppError("FORBIDDEN", {
      userMessage: `this invitation is for ${invitation.email}, but you are signed in as ${user.email}: sign in with the invited address`,
    });
  }
  await deps.prisma.$transaction(async (tx) => {
    // Conditional, so two clicks on the same link cannot both succeed.
    const claimed = await tx.invitation.updateMany({ where: { id: invitation.id, acceptedAt: null, revokedAt: null }, data: { acceptedAt: new Date() } });
    if (claimed.count !== 1) throw invalid;
    await tx.membership.upsert({
      where: { userId_workspaceId: { userId: caller.userId, workspaceId: invitation.workspaceId } },
      create: { userId: caller.userId, workspaceId: invitation.workspaceId, role: invitation.role },
      update: {},
    });
  });
  return { workspace: invitation.workspace, role: invitation.role };
}
