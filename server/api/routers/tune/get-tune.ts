import { getTuneJob } from "../../../services/tune/get-tune-job";
import { protectedProcedure } from "../../trpc";
import { toJobDto } from "../jobs/job.dto";
import { ZGetTuneRequest, ZGetTuneResponse } from "./get-tune.types";

/** A tune job, its trials and its report (live while running). */
export const getTuneProcedure = protectedProcedure
  .input(ZGetTuneRequest)
  .output(ZGetTuneResponse)
  .query(async ({ ctx, input }) => {
    const view = await getTuneJob(ctx.deps, ctx.caller, input.jobId);
    return { job: toJobDto(view.job), trials: view.trials.map(toJobDto), report: view.report, reportFinal: view.reportFinal };
  });
