import { AppError } from "../../../contracts/app-error";
import type { JobLog } from "../../../generated/prisma/client";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

/**
 * A job's log lines after `afterId` (oldest first), for a page that follows the log live: it passes back the last
 * id it has. The job must belong to the caller's workspace (NOT_FOUND otherwise).
 */
export async function listJobLogs(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  input: { jobId: string; afterId?: string | null; limit: number },
): Promise<{ lines: JobLog[]; jobState: string }> {
  const job = await deps.prisma.job.findFirst({ where: { id: input.jobId, workspaceId: caller.workspaceId }, select: { id: true, state: true } });
  if (!job) throw new AppError("NOT_FOUND", { userMessage: `job ${input.jobId} not found` });
  let after: bigint | undefined;
  if (input.afterId) {
    try {
      after = BigInt(input.afterId);
    } catch {
      throw new AppError("BAD_INPUT", { userMessage: "afterId must be the id of a log line (a whole number as text)" });
    }
  }
  const lines = await deps.prisma.jobLog.findMany({
    where: { jobId: job.id, ...(after !== undefined ? { id: { gt: after } } : {}) },
    orderBy: { id: "asc" },
    take: input.limit,
  });
  return { lines, jobState: job.state };
}
