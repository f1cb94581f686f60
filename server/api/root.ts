import { authRouter } from "./routers/auth";
import { datasetsRouter } from "./routers/datasets";
import { jobsRouter } from "./routers/jobs";
import { keysRouter } from "./routers/keys";
import { membersRouter } from "./routers/members";
import { modelsRouter } from "./routers/models";
import { presetsRouter } from "./routers/presets";
import { tuneRouter } from "./routers/tune";
import { webhooksRouter } from "./routers/webhooks";
import { workspacesRouter } from "./routers/workspaces";
import { createCallerFactory, createTRPCRouter } from "./trpc";

/** Every router of the API. Clients import only `type AppRouter` from here. */
export const appRouter = createTRPCRouter({
  auth: authRouter,
  models: modelsRouter,
  datasets: datasetsRouter,
  jobs: jobsRouter,
  tune: tuneRouter,
  presets: presetsRouter,
  keys: keysRouter,
  members: membersRouter,
  workspaces: workspacesRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in-process (server components, tests) with a prepared context. */
export const createCaller = createCallerFactory(appRouter);
