import { z } from "zod";

export const ZListUploadPartsRequest = z.object({ modelId: z.string().min(1) });
export type TListUploadPartsRequest = z.infer<typeof ZListUploadPartsRequest>;

export const ZListUploadPartsResponse = z.object({
  modelId: z.string(),
  sizeBytes: z.number(),
  partBytes: z.number(),
  partCount: z.number(),
  /** False when the storage server cannot list parts: resume with the ETags the client kept. */
  listed: z.boolean(),
  /** Parts storage holds completely, with their ETags for completeUpload. */
  parts: z.array(z.object({ partNumber: z.number(), etag: z.string(), sizeBytes: z.number() })),
});
export type TListUploadPartsResponse = z.infer<typeof ZListUploadPartsResponse>;
