import { createJob } from "../../../services/jobs/create-job";
import { protectedProcedure } from "../../trpc";
import { ZCreateJobRequest, ZCreateJobResponse } from "./create-job.types";
import { toJobDto } from "./job.dto";

/** Queues a compression job for a ready model of the workspace. */
export const createJobProcedure = protectedProcedure
  .input(ZCreateJobRequest)
  .output(ZCreateJobResponse)
  .mutation(async ({ ctx, input }) => toJobDto(await createJob(ctx.deps, ctx.caller, input)));
