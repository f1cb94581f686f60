import { z } from "zod";

export const ZAcceptInvitationRequest = z.object({ token: z.string().min(1).max(200) });
export type TAcceptInvitationRequest = z.infer<typeof ZAcceptInvitationRequest>;

export const ZAcceptInvitationResponse = z.object({ workspace: z.object({ id: z.string(), name: z.string() }), role: z.string() });
export type TAcceptInvitationResponse = z.infer<typeof ZAcceptInvitationResponse>;
