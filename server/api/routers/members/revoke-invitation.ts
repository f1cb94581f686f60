import { revokeInvitation } from "../../../services/members/revoke-invitation";
import { sessionProcedure } from "../../trpc";
import { ZRevokeInvitationRequest, ZRevokeInvitationResponse } from "./revoke-invitation.types";

/** Withdraws an open invitation (owners): its link stops working. */
export const revokeInvitationProcedure = sessionProcedure
  .input(ZRevokeInvitationRequest)
  .output(ZRevokeInvitationResponse)
  .mutation(async ({ ctx, input }) => {
    await revokeInvitation(ctx.deps, ctx.caller, input.invitationId);
    return { ok: true as const };
  });
