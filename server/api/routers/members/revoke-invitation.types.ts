import { z } from "zod";
import { ZOkResponse } from "./member.dto";

export const ZRevokeInvitationRequest = z.object({ invitationId: z.string().min(1) });
export type TRevokeInvitationRequest = z.infer<typeof ZRevokeInvitationRequest>;

export const ZRevokeInvitationResponse = ZOkResponse;
export type TRevokeInvitationResponse = z.infer<typeof ZRevokeInvitationResponse>;
