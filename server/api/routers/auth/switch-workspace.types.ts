import { z } from "zod";
import { ZWorkspaceDto } from "./auth.types";

export const ZSwitchWorkspaceRequest = z.object({ workspaceId: z.string().min(1) });
export type TSwitchWorkspaceRequest = z.infer<typeof ZSwitchWorkspaceRequest>;

export const ZSwitchWorkspaceResponse = z.object({ workspace: ZWorkspaceDto.extend({ role: z.string() }) });
export type TSwitchWorkspaceResponse = z.infer<typeof ZSwitchWorkspaceResponse>;
