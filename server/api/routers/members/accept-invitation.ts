import { acceptInvitation } from "../../../services/members/accept-invitation";
import { sessionProcedure } from "../../trpc";
import { ZAcceptInvitationRequest, ZAcceptInvitationResponse } from "./accept-invitation.types";

/**
 * Joins a workspace with an invitation token, as the signed-in user (whose email must be the invited one).
 * The session stays in its current workspace; auth.switchWorkspace moves it.
 */
export const acceptInvitationProcedure = sessionProcedure
  .input(ZAcceptInvitationRequest)
  .output(ZAcceptInvitationResponse)
  .mutation(async ({ ctx, input }) => acceptInvitation(ctx.deps, ctx.caller, input));
