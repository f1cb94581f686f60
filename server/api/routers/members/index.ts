import { createTRPCRouter } from "../../trpc";
import { acceptInvitationProcedure } from "./accept-invitation";
import { inviteMemberProcedure } from "./invite-member";
import { listInvitationsProcedure } from "./list-invitations";
import { listMembersProcedure } from "./list-members";
import { removeMemberProcedure } from "./remove-member";
import { revokeInvitationProcedure } from "./revoke-invitation";
import { updateMemberRoleProcedure } from "./update-member-role";

export const membersRouter = createTRPCRouter({
  list: listMembersProcedure,
  invite: inviteMemberProcedure,
  invitations: listInvitationsProcedure,
  revokeInvitation: revokeInvitationProcedure,
  acceptInvitation: acceptInvitationProcedure,
  remove: removeMemberProcedure,
  updateRole: updateMemberRoleProcedure,
});
