import { listJobs } from "../../../services/jobs/list-jobs";
import { protectedProcedure } from "../../trpc";
import { toJobDto } from "./job.dto";
import { ZListJobsRequest, ZListJobsResponse } from "./list-jobs.types";

/** The workspace's jobs, newest first, optionally for one model. */
export const listJobsProcedure = protectedProcedure
  .input(ZListJobsRequest)
  .output(ZListJobsResponse)
  .query(async ({ ctx, input }) => {
    const page = await listJobs(ctx.deps, ctx.caller, input);
    return { ...page, items: page.items.map(toJobDto) };
  });
