import { z } from "zod";
import { ZJobDto } from "./job.dto";

export const ZCancelJobRequest = z.object({ jobId: z.string().min(1) });
export type TCancelJobRequest = z.infer<typeof ZCancelJobRequest>;

export const ZCancelJobResponse = ZJobDto;
export type TCancelJobResponse = z.infer<typeof ZCancelJobResponse>;
