import { listMembers } from "../../../services/members/list-members";
import { protectedProcedure } from "../../trpc";
import { ZListMembersRequest, ZListMembersResponse } from "./list-members.types";
import { toMemberDto } from "./member.dto";

/** The workspace's members with their roles. */
export const listMembersProcedure = protectedProcedure
  .input(ZListMembersRequest)
  .output(ZListMembersResponse)
  .query(async ({ ctx, input }) => {
    const page = await listMembers(ctx.deps, ctx.caller, input);
    return { ...page, items: page.items.map(toMemberDto) };
  });
