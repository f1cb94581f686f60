import { switchWorkspace } from "../../../services/workspaces/switch-workspace";
import { sessionProcedure } from "../../trpc";
import { ZSwitchWorkspaceRequest, ZSwitchWorkspaceResponse } from "./switch-workspace.types";

/** Moves the current session to another of the user's workspaces; the token (cookie) stays the same. */
export const switchWorkspaceProcedure = sessionProcedure
  .input(ZSwitchWorkspaceRequest)
  .output(ZSwitchWorkspaceResponse)
  .mutation(async ({ ctx, input }) => ({
    workspace: await switchWorkspace(ctx.deps, { sessionId: ctx.session.sessionId, userId: ctx.caller.userId, workspaceId: input.workspaceId }),
  }));
