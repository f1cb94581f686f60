import { AppError } from "../../../contracts/app-error";
import { toPage, type TPage } from "../pagination";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

export type TWorkspaceSummary = { id: string; name: string; role: string; current: boolean; joinedAt: Date };

/** Every workspace the user belongs to (for the workspace switcher), in the order they joined. */
export async function listWorkspaces(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  input: { limit: number; cursor?: string | null },
): Promise<TPage<TWorkspaceSummary>> {
  if (input.cursor) {
    const anchor = await deps.prisma.membership.findUnique({ where: { userId_workspaceId: { userId: caller.userId, workspaceId: input.cursor } } });
    if (!anchor) throw new AppError("BAD_INPUT", { userMessage: "the cursor is not valid: start again from the first page" });
  }
  const rows = await deps.prisma.membership.findMany({
    where: { userId: caller.userId },
    orderBy: [{ createdAt: "asc" }, { workspaceId: "asc" }],
    take: input.limit + 1,
    include: { workspace: { select: { id: true, name: true } } },
    ...(input.cursor ? { cursor: { userId_workspaceId: { userId: caller.userId, workspaceId: input.cursor } }, skip: 1 } : {}),
  });
  return toPage(
    rows.map((m) => ({ id: m.workspace.id, name: m.workspace.name, role: m.role, current: m.workspaceId === caller.workspaceId, joinedAt: m.createdAt })),
    input.limit,
  );
}
