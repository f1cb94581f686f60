import { z } from "zod";
import { createPageSchema, ZListRequest } from "../pagination.types";

export const ZWorkspaceSummaryDto = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  /** The workspace this session acts in now. */
  current: z.boolean(),
  joinedAt: z.iso.datetime(),
});

export const ZListWorkspacesRequest = ZListRequest.default({ limit: 20 });
export type TListWorkspacesRequest = z.input<typeof ZListWorkspacesRequest>;

/** `nextCursor` is a workspace id. */
export const ZListWorkspacesResponse = createPageSchema(ZWorkspaceSummaryDto);
export type TListWorkspacesResponse = z.infer<typeof ZListWorkspacesResponse>;
