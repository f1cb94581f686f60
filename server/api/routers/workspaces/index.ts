import { createTRPCRouter } from "../../trpc";
import { listWorkspacesProcedure } from "./list-workspaces";

export const workspacesRouter = createTRPCRouter({
  list: listWorkspacesProcedure,
});
