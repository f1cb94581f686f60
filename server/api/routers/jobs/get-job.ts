import { findJobById } from "../../../services/jobs/find-job-by-id";
import { protectedProcedure } from "../../trpc";
import { ZGetJobRequest, ZGetJobResponse } from "./get-job.types";
import { toJobDto } from "./job.dto";

/** One job of the workspace with its artifacts; NOT_FOUND for other workspaces' ids. */
export const getJobProcedure = protectedProcedure
  .input(ZGetJobRequest)
  .output(ZGetJobResponse)
  .query(async ({ ctx, input }) => toJobDto(await findJobById(ctx.deps, ctx.caller, input.jobId)));
