import { z } from "zod";

export const ZSignUploadPartsRequest = z.object({
  modelId: z.string().min(1),
  /** 1-based part numbers; at most 100 per call. Asking again for a part re-signs it (retry/resume). */
  partNumbers: z.array(z.number().int().min(1).max(10_000)).min(1).max(100),
});
export type TSignUploadPartsRequest = z.infer<typeof ZSignUploadPartsRequest>;

export const ZSignUploadPartsResponse = z.object({
  /** PUT each part's bytes to its URL; keep the response's ETag header for completeUpload. */
  parts: z.array(z.object({ partNumber: z.number(), url: z.string() })),
  expiresAt: z.iso.datetime(),
});
export type TSignUploadPartsResponse = z.infer<typeof ZSignUploadPartsResponse>;
