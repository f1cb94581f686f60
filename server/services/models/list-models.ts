import { AppError } from "../../../contracts/app-error";
import type { Model } from "../../../generated/prisma/client";
import { toPage, type TPage } from "../pagination";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

/** The caller's models, newest first, cursor-paginated by model id. */
export async function listModels(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  input: { limit: number; cursor?: string | null },
): Promise<TPage<Model>> {
  if (input.cursor) {
    // A cursor from another workspace must not leak anything (or break the query): treat it as unknown.
    const anchor = await deps.prisma.model.findFirst({ where: { id: input.cursor, workspaceId: caller.workspaceId }, select: { id: true } });
    if (!anchor) throw new AppError("BAD_INPUT", { userMessage: "the cursor is not valid: start again from the first page" });
  }
  const rows = await deps.prisma.model.findMany({
    where: { workspaceId: caller.workspaceId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  return toPage(rows, input.limit);
}
