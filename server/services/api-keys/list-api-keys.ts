import type { ApiKey } from "../../../generated/prisma/client";
import { assertCursorInWorkspace, toPage, type TPage } from "../pagination";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

export type TApiKeyWithCreator = ApiKey & { createdBy: { email: string } | null };

/** The workspace's API keys (revoked ones included, so the log of who had access stays visible), newest first. */
export async function listApiKeys(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  input: { limit: number; cursor?: string | null },
): Promise<TPage<TApiKeyWithCreator>> {
  if (input.cursor) await assertCursorInWorkspace(deps.prisma.apiKey, caller.workspaceId, input.cursor);
  const rows = await deps.prisma.apiKey.findMany({
    where: { workspaceId: caller.workspaceId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    include: { createdBy: { select: { email: true } } },
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  return toPage(rows, input.limit);
}
