import { createTRPCRouter } from "../../trpc";
import { cancelJobProcedure } from "./cancel-job";
import { createJobProcedure } from "./create-job";
import { getArtifactUrlProcedure } from "./get-artifact-url";
import { getJobProcedure } from "./get-job";
import { listJobLogsProcedure } from "./list-job-logs";
import { listJobsProcedure } from "./list-jobs";

export const jobsRouter = createTRPCRouter({
  create: createJobProcedure,
  get: getJobProcedure,
  list: listJobsProcedure,
  cancel: cancelJobProcedure,
  getArtifactUrl: getArtifactUrlProcedure,
  logs: listJobLogsProcedure,
});
