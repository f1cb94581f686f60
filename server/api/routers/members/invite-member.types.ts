import { z } from "zod";
import { ZEmail } from "../auth/auth.types";
import { ZInvitationDto, ZRole } from "./member.dto";

export const ZInviteMemberRequest = z.object({ email: ZEmail, role: ZRole.default("member") });
export type TInviteMemberRequest = z.input<typeof ZInviteMemberRequest>;

export const ZInviteMemberResponse = z.object({
  invitation: ZInvitationDto,
  /** The one-time token (also inside `inviteUrl`); only its hash is stored. */
  token: z.string(),
  /** Link to give the invitee (no mail is sent): the portal's accept page. */
  inviteUrl: z.string(),
});
export type TInviteMemberResponse = z.infer<typeof ZInviteMemberResponse>;
