import { z } from "zod";
import { ZModelDto } from "./model.dto";

export const ZCompleteUploadRequest = z.object({
  modelId: z.string().min(1),
  parts: z
    .array(z.object({ partNumber: z.number().int().min(1).max(10_000), etag: z.string().min(1) }))
    .min(1)
    .max(10_000),
});
export type TCompleteUploadRequest = z.infer<typeof ZCompleteUploadRequest>;

/** The model, now "ready" with sha256 and summary. Validation failures are errors (the model is left "failed"). */
export const ZCompleteUploadResponse = ZModelDto;
export type TCompleteUploadResponse = z.infer<typeof ZCompleteUploadResponse>;
