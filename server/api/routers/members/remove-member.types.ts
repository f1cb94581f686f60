import { z } from "zod";
import { ZOkResponse } from "./member.dto";

export const ZRemoveMemberRequest = z.object({ userId: z.string().min(1) });
export type TRemoveMemberRequest = z.infer<typeof ZRemoveMemberRequest>;

export const ZRemoveMemberResponse = ZOkResponse;
export type TRemoveMemberResponse = z.infer<typeof ZRemoveMemberResponse>;
