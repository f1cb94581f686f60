import { z } from "zod";
import { ZJobDto } from "./job.dto";

export const ZGetJobRequest = z.object({ jobId: z.string().min(1) });
export type TGetJobRequest = z.infer<typeof ZGetJobRequest>;

export const ZGetJobResponse = ZJobDto;
export type TGetJobResponse = z.infer<typeof ZGetJobResponse>;
