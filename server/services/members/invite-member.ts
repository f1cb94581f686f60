import { createSessionToken, hashToken } from "../../auth/session-token";
import type { Invitation } from "../../../generated/prisma/client";
import { AppError } from "../../../contracts/app-error";
import { normalizeEmail } from "../auth/sign-up";
import type { TRoleCaller, TServiceDeps } from "../service-deps";
import { requireOwner } from "./require-owner";

/** How long an invitation link works. */
export const INVITATION_TTL_DAYS = 7;

/** An invitation with its one-time token (put in the link; only its hash is stored). */
export type TCreatedInvitation = { invitation: Invitation; token: string };

/**
 * Invites an email address to the workspace (owners only). There is no mail server: the owner copies the link.
 * Inviting someone again replaces their open invitation, so only the newest link works.
 */
export async function inviteMember(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TRoleCaller,
  input: { email: string; role: "owner" | "member" },
): Promise<TCreatedInvitation> {
  requireOwner(caller, "invite members");
  const email = normalizeEmail(input.email);
  const existing = await deps.prisma.membership.findFirst({ where: { workspaceId: caller.workspaceId, user: { email } }, select: { userId: true } });
  if (existing) throw new AppError("CONFLICT", { userMessage: `${email} is already a member of this workspace` });
  const token = createSessionToken();
  const invitation = await deps.prisma.$transaction(async (tx) => {
    await tx.invitation.updateMany({
      where: { workspaceId: caller.workspaceId, email, acceptedAt: null, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return tx.invitation.create({
      data: {
        workspaceId: caller.workspaceId,
        email,
        role: input.role,
        tokenHash: hashToken(token),
        invitedById: caller.userId,
        expiresAt: new Date(Date.now() + INVITATION_TTL_DAYS * 86_400_000),
      },
    });
  });
  return { invitation, token };
}
