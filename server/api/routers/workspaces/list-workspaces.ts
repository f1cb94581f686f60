import { listWorkspaces } from "../../../services/workspaces/list-workspaces";
import { sessionProcedure } from "../../trpc";
import { ZListWorkspacesRequest, ZListWorkspacesResponse } from "./list-workspaces.types";

/** The signed-in user's workspaces for the switcher (sessions only: an API key belongs to one workspace). */
export const listWorkspacesProcedure = sessionProcedure
  .input(ZListWorkspacesRequest)
  .output(ZListWorkspacesResponse)
  .query(async ({ ctx, input }) => {
    const page = await listWorkspaces(ctx.deps, ctx.caller, input);
    return { ...page, items: page.items.map((w) => ({ ...w, joinedAt: w.joinedAt.toISOString() })) };
  });
