import { z } from "zod";

/** Shared list input: `cursor` is the previous page's `nextCursor`. */
export const ZListRequest = z.object({
  limit: z.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).nullish(),
});

/** A page of items with the cursor of the next one (null on the last page). */
export function createPageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable(), hasMore: z.boolean() });
}
