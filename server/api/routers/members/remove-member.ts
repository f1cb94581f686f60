import { removeMember } from "../../../services/members/remove-member";
import { sessionProcedure } from "../../trpc";
import { ZRemoveMemberRequest, ZRemoveMemberResponse } from "./remove-member.types";

/** Removes a member (owners) or leaves (yourself): their sessions here and their API keys stop working at once. */
export const removeMemberProcedure = sessionProcedure
  .input(ZRemoveMemberRequest)
  .output(ZRemoveMemberResponse)
  .mutation(async ({ ctx, input }) => {
    await removeMember(ctx.deps, ctx.caller, input.userId);
    return { ok: true as const };
  });
