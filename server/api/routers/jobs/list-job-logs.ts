import { listJobLogs } from "../../../services/jobs/list-job-logs";
import { ZJobState } from "../../../../contracts/job-state";
import { protectedProcedure } from "../../trpc";
import { ZListJobLogsRequest, ZListJobLogsResponse } from "./list-job-logs.types";

/** New lines of a job's log after `afterId` (stage changes, data used, per-step results, warnings, errors). */
export const listJobLogsProcedure = protectedProcedure
  .input(ZListJobLogsRequest)
  .output(ZListJobLogsResponse)
  .query(async ({ ctx, input }) => {
    const { lines, jobState } = await listJobLogs(ctx.deps, ctx.caller, input);
    return {
      lines: lines.map((l) => ({
        id: l.id.toString(),
        attempt: l.attempt,
        level: l.level === "warn" || l.level === "error" ? l.level : ("info" as const),
        message: l.message,
        createdAt: l.createdAt.toISOString(),
      })),
      nextAfterId: lines.length > 0 ? lines[lines.length - 1]!.id.toString() : (input.afterId ?? null),
      jobState: ZJobState.parse(jobState),
    };
  });
