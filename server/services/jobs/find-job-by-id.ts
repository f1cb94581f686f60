import { AppError } from "../../../contracts/app-error";
import type { Artifact, Job } from "../../../generated/prisma/client";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

export type TJobWithArtifacts = Job & { artifacts: Artifact[] };

/** The job (with its published artifacts) in the caller's workspace, or NOT_FOUND. */
export async function findJobById(deps: Pick<TServiceDeps, "prisma">, caller: TServiceCaller, jobId: string): Promise<TJobWithArtifacts> {
  const job = await deps.prisma.job.findFirst({
    where: { id: jobId, workspaceId: caller.workspaceId },
    include: { artifacts: { orderBy: { name: "asc" } } },
  });
  if (!job) throw new AppError("NOT_FOUND", { userMessage: `job ${jobId} not found` });
  return job;
}
