import { z } from "zod";
import { ZOkResponse, ZRole } from "./member.dto";

export const ZUpdateMemberRoleRequest = z.object({ userId: z.string().min(1), role: ZRole });
export type TUpdateMemberRoleRequest = z.infer<typeof ZUpdateMemberRoleRequest>;

export const ZUpdateMemberRoleResponse = ZOkResponse;
export type TUpdateMemberRoleResponse = z.infer<typeof ZUpdateMemberRoleResponse>;
