import { updateMemberRole } from "../../../services/members/update-member-role";
import { sessionProcedure } from "../../trpc";
import { ZUpdateMemberRoleRequest, ZUpdateMemberRoleResponse } from "./update-member-role.types";

/** Makes a member an owner or a member (owners); the last owner cannot step down. */
export const updateMemberRoleProcedure = sessionProcedure
  .input(ZUpdateMemberRoleRequest)
  .output(ZUpdateMemberRoleResponse)
  .mutation(async ({ ctx, input }) => {
    await updateMemberRole(ctx.deps, ctx.caller, input);
    return { ok: true as const };
  });
