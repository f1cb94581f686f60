import { AppError } from "../../contracts/app-error";

/** A page of a cursor-paginated list: pass `nextCursor` back as `cursor` for the next page. */
export type TPage<T> = { items: T[]; nextCursor: string | null; hasMore: boolean };

/**
 * Turns `limit + 1` rows fetched newest-first into a page. Fetching one extra row tells us whether more
 * exist without a COUNT query.
 */
export function toPage<T extends { id: string }>(rows: T[], limit: number): TPage<T> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? items[items.length - 1]!.id : null, hasMore };
}

/** A Prisma delegate with `findFirst` on a model that has `id` and `workspaceId`. */
type TWorkspaceScopedDelegate = { findFirst: (args: { where: { id: string; workspaceId: string }; select: { id: true } }) => Promise<unknown> };

/**
 * Refuses a cursor that is not a row of the caller's workspace: a cursor from another workspace must not leak
 * anything (or break the query).
 */
export async function assertCursorInWorkspace(delegate: TWorkspaceScopedDelegate, workspaceId: string, cursor: string): Promise<void> {
  const anchor = await delegate.findFirst({ where: { id: cursor, workspaceId }, select: { id: true } });
  if (!anchor) throw new AppError("BAD_INPUT", { userMessage: "the cursor is not valid: start again from the first page" });
}
