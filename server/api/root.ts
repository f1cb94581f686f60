import { authRouter } from "./routers/auth";
import { jobsRouter } from "./routers/jobs";
import { keysRouter } from "./routers/keys";
import { membersRouter } from "./routers/members";
import { modelsRouter } from "./routers/models";
import { presetsRouter } from "./routers/presets";
import { webhooksRouter } from "./routers/webhooks";
import { workspacesRouter } from "./routers/workspaces";
import { createCallerFactory, createTRPCRouter } from "./trpc";

/** Every router of the API. Clients import only `type AppRouter` from here. */
export const appRouter = createTRPCRouter({
  auth: authRouter,
  models: modelsRouter,
  jobs: jobsRouter,
  presets: presetsRouter,
  keys: keysRouter,
  members: membersRouter,
  workspaces: workspacesRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in-process (server components, tests) with a prepared context. */
export const createCaller = createCallerFactory(appRouter);
