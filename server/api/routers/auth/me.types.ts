import { z } from "zod";
import { ZUserDto, ZWorkspaceDto } from "./auth.types";

export const ZMeResponse = z.object({ user: ZUserDto, workspace: ZWorkspaceDto.extend({ role: z.string() }) });
export type TMeResponse = z.infer<typeof ZMeResponse>;
