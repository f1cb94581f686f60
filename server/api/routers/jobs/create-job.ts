import { AppError } from "../../../../contracts/app-error";
import { createJob } from "../../../services/jobs/create-job";
import { protectedProcedure } from "../../trpc";
import { IDEMPOTENCY_KEY_HEADER, ZCreateJobRequest, ZCreateJobResponse, ZIdempotencyKey } from "./create-job.types";
import { toJobDto } from "./job.dto";

/**
 * Queues a compression job for a ready model of the workspace. With an `Idempotency-Key` header a retry returns the
 * first job; the same key with a different body is 422.
 */
export const createJobProcedure = protectedProcedure
  .input(ZCreateJobRequest)
  .output(ZCreateJobResponse)
  .mutation(async ({ ctx, input }) => {
    const header = ctx.req.headers.get(IDEMPOTENCY_KEY_HEADER);
    let idempotencyKey: string | undefined;
    if (header !== null) {
      const parsed = ZIdempotencyKey.safeParse(header);
      if (!parsed.success) throw new AppError("BAD_INPUT", { userMessage: parsed.error.issues[0]!.message });
      idempotencyKey = parsed.data;
    }
    return toJobDto(await createJob(ctx.deps, ctx.caller, input, { idempotencyKey }));
  });
