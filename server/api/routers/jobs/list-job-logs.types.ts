import { z } from "zod";
import { ZJobState } from "../../../../contracts/job-state";

export const ZListJobLogsRequest = z.object({
  jobId: z.string().min(1),
  /** The last line id the caller has (ids are 64-bit, sent as text); omit for the first lines. */
  afterId: z.string().regex(/^\d{1,19}$/, "afterId must be a log line id").nullish(),
  limit: z.number().int().min(1).max(1000).default(500),
});
export type TListJobLogsRequest = z.input<typeof ZListJobLogsRequest>;

/** One line of a job's log. */
export const ZJobLogLine = z.object({
  /** 64-bit id as text: pass the last one back as afterId. */
  id: z.string(),
  attempt: z.number(),
  level: z.enum(["info", "warn", "error"]),
  message: z.string(),
  createdAt: z.iso.datetime(),
});
export type TJobLogLine = z.infer<typeof ZJobLogLine>;

export const ZListJobLogsResponse = z.object({
  lines: z.array(ZJobLogLine),
  /** afterId for the next call (the last line's id, or the request's afterId when nothing is new). */
  nextAfterId: z.string().nullable(),
  /** The job's state now: a follower stops polling once it is terminal and no lines are left. */
  jobState: ZJobState,
});
export type TListJobLogsResponse = z.infer<typeof ZListJobLogsResponse>;
