import { cancelJob } from "../../../services/jobs/cancel-job";
import { protectedProcedure } from "../../trpc";
import { ZCancelJobRequest, ZCancelJobResponse } from "./cancel-job.types";
import { toJobDto } from "./job.dto";

/** Cancels a queued or running job; CONFLICT when it already finished. */
export const cancelJobProcedure = protectedProcedure
  .input(ZCancelJobRequest)
  .output(ZCancelJobResponse)
  .mutation(async ({ ctx, input }) => toJobDto(await cancelJob(ctx.deps, ctx.caller, input.jobId)));
