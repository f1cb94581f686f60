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
