import { z } from "zod";
import { createPageSchema, ZListRequest } from "../pagination.types";
import { ZMemberDto } from "./member.dto";

export const ZListMembersRequest = ZListRequest.default({ limit: 20 });
export type TListMembersRequest = z.input<typeof ZListMembersRequest>;

/** `nextCursor` is a user id. */
export const ZListMembersResponse = createPageSchema(ZMemberDto);
export type TListMembersResponse = z.infer<typeof ZListMembersResponse>;
