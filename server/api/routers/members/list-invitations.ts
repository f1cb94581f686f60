import { listInvitations } from "../../../services/members/list-invitations";
import { protectedProcedure } from "../../trpc";
import { ZListInvitationsRequest, ZListInvitationsResponse } from "./list-invitations.types";
import { toInvitationDto } from "./member.dto";

/** Open invitations of the workspace, newest first. */
export const listInvitationsProcedure = protectedProcedure
  .input(ZListInvitationsRequest)
  .output(ZListInvitationsResponse)
  .query(async ({ ctx, input }) => {
    const page = await listInvitations(ctx.deps, ctx.caller, input);
    return { ...page, items: page.items.map(toInvitationDto) };
  });
