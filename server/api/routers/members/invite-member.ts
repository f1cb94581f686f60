import { inviteMember } from "../../../services/members/invite-member";
import { sessionProcedure } from "../../trpc";
import { ZInviteMemberRequest, ZInviteMemberResponse } from "./invite-member.types";
import { toInvitationDto } from "./member.dto";

/** Path of the portal page that accepts an invitation; the token follows it. */
export const INVITE_PATH = "/invite/";

/** Invites an email address (owners, signed in); returns the link to hand over, since no mail is sent. */
export const inviteMemberProcedure = sessionProcedure
  .input(ZInviteMemberRequest)
  .output(ZInviteMemberResponse)
  .mutation(async ({ ctx, input }) => {
    const { invitation, token } = await inviteMember(ctx.deps, ctx.caller, input);
    const origin = (ctx.deps.config.PUBLIC_URL ?? new URL(ctx.req.url).origin).replace(/\/+$/, "");
    return { invitation: toInvitationDto(invitation), token, inviteUrl: `${origin}${INVITE_PATH}${token}` };
  });
