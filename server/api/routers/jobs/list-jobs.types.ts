import { z } from "zod";
import { createPageSchema, ZListRequest } from "../pagination.types";
import { ZJobDto } from "./job.dto";

export const ZListJobsRequest = ZListRequest.extend({ modelId: z.string().min(1).optional() }).default({ limit: 20 });
export type TListJobsRequest = z.input<typeof ZListJobsRequest>;

export const ZListJobsResponse = createPageSchema(ZJobDto);
export type TListJobsResponse = z.infer<typeof ZListJobsResponse>;
