import { AppError } from "../../../contracts/app-error";
import { toPage, type TPage } from "../pagination";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

export type TMember = { id: string; userId: string; email: string; role: string; createdAt: Date };

/**
 * The workspace's members, oldest first (owners who founded it on top). The cursor is the member's user id, so
 * `id` here is the user id.
 */
export async function listMembers(
  deps: Pick<TServiceDeps, "prisma">,
  caller: TServiceCaller,
  input: { limit: number; cursor?: string | null },
): Promise<TPage<TMember>> {
  if (input.cursor) {
    const anchor = await deps.prisma.membership.findUnique({ where: { userId_workspaceId: { userId: input.cursor, workspaceId: caller.workspaceId } } });
    if (!anchor) throw new AppError("BAD_INPUT", { userMessage: "the cursor is not valid: start again from the first page" });
  }
  const rows = await deps.prisma.membership.findMany({
    where: { workspaceId: caller.workspaceId },
    orderBy: [{ createdAt: "asc" }, { userId: "asc" }],
    take: input.limit + 1,
    include: { user: { select: { email: true } } },
    ...(input.cursor ? { cursor: { userId_workspaceId: { userId: input.cursor, workspaceId: caller.workspaceId } }, skip: 1 } : {}),
  });
  return toPage(
    rows.map((m) => ({ id: m.userId, userId: m.userId, email: m.user.email, role: m.role, createdAt: m.createdAt })),
    input.limit,
  );
}
