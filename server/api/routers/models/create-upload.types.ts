import { z } from "zod";

export const ZCreateUploadRequest = z.object({
  name: z.string().trim().min(1, "give the model a name").max(200, "names are at most 200 characters"),
  /** Exact size of the file in bytes; checked against the stored object on completion. */
  sizeBytes: z.number().int("sizeBytes must be a whole number").nonnegative().max(Number.MAX_SAFE_INTEGER),
});
export type TCreateUploadRequest = z.infer<typeof ZCreateUploadRequest>;

export const ZCreateUploadResponse = z.object({
  modelId: z.string(),
  uploadId: z.string(),
  /** Every part but the last is exactly this long. */
  partBytes: z.number(),
  partCount: z.number(),
});
export type TCreateUploadResponse = z.infer<typeof ZCreateUploadResponse>;
