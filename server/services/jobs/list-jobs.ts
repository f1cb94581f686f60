import { AppError } from "../../../contracts/app-error";
import { toPage, type TPage } from "../pagination";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import type { TJobWithArtifacts } from "./find-job-by-id";

/** The caller's jobs, newest first, optionally for one model, cursor-paginated by job id. */
export async function listJobs(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  input: { limit: number; cursor?: string | null; modelId?: string },
): Promise<TPage<TJobWithArtifacts>> {
  if (input.cursor) {
    const anchor = await deps.prisma.job.findFirst({ where: { id: input.cursor, workspaceId: caller.workspaceId }, select: { id: true } });
    if (!anchor) throw new AppError("BAD_INPUT", { userMessage: "the cursor is not valid: start again from the first page" });
  }
  const rows = await deps.prisma.job.findMany({
    where: { workspaceId: caller.workspaceId, ...(input.modelId ? { modelId: input.modelId } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    include: { artifacts: { orderBy: { name: "asc" } } },
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  return toPage(rows, input.limit);
}
