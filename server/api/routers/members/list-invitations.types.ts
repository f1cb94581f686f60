import { z } from "zod";
import { createPageSchema, ZListRequest } from "../pagination.types";
import { ZInvitationDto } from "./member.dto";

export const ZListInvitationsRequest = ZListRequest.default({ limit: 20 });
export type TListInvitationsRequest = z.input<typeof ZListInvitationsRequest>;

export const ZListInvitationsResponse = createPageSchema(ZInvitationDto);
export type TListInvitationsResponse = z.infer<typeof ZListInvitationsResponse>;
