import type { Dataset } from "../../../generated/prisma/client";
import { assertCursorInWorkspace, toPage, type TPage } from "../pagination";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

/** The caller's datasets, newest first, cursor-paginated by id; `state` filters (e.g. only "ready" ones for a form). */
export async function listDatasets(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  input: { limit: number; cursor?: string | null; state?: string },
): Promise<TPage<Dataset>> {
  if (input.cursor) await assertCursorInWorkspace(deps.prisma.dataset, caller.workspaceId, input.cursor);
  const rows = await deps.prisma.dataset.findMany({
    where: { workspaceId: caller.workspaceId, ...(input.state ? { state: input.state } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  return toPage(rows, input.limit);
}
