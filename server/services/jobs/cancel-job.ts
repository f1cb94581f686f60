import { AppError } from "../../../contracts/app-error";
import { recordJobEvent } from "../../webhooks/record-job-event";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { findJobById, type TJobWithArtifacts } from "./find-job-by-id";

/**
 * Cancels a queued or running job in one conditional UPDATE, so a cancel racing the worker's own state
 * change cannot both win. A running job's worker notices `cancelRequestedAt` on its next heartbeat,
 * stops, and publishes nothing.
 */
export async function cancelJob(deps: Pick<TServiceDeps, "prisma">, caller: TServiceCaller, jobId: string): Promise<TJobWithArtifacts> {
  const now = new Date();
  // The job.canceled event is written in the same transaction as the state change (transactional outbox).
  const updated = await deps.prisma.$transaction(async (tx) => {
    const result = await tx.job.updateMany({
      where: { id: jobId, workspaceId: caller.workspaceId, state: { in: ["queued", "running"] } },
      data: { state: "canceled", finishedAt: now, cancelRequestedAt: now },
    });
    if (result.count === 1) await recordJobEvent(tx, jobId, "job.canceled");
    return result;
  });
  const job = await findJobById(deps, caller, jobId);
  if (updated.count === 0) throw new AppError("CONFLICT", { userMessage: `job already finished (${job.state})` });
  return job;
}
