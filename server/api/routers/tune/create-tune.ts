import { createTuneJob } from "../../../services/tune/create-tune-job";
import { protectedProcedure } from "../../trpc";
import { toJobDto } from "../jobs/job.dto";
import { ZCreateTuneRequest, ZCreateTuneResponse } from "./create-tune.types";

/** Queues a goal-driven tune job for a ready model; its trials appear as child jobs. */
export const createTuneProcedure = protectedProcedure
  .input(ZCreateTuneRequest)
  .output(ZCreateTuneResponse)
  .mutation(async ({ ctx, input }) => toJobDto(await createTuneJob(ctx.deps, ctx.caller, input)));
