import { z } from "zod";

export const ZSignDatasetUploadPartsRequest = z.object({
  datasetId: z.string().min(1),
  partNumbers: z.array(z.number().int().min(1).max(10_000)).min(1).max(100),
});
export type TSignDatasetUploadPartsRequest = z.infer<typeof ZSignDatasetUploadPartsRequest>;

export const ZSignDatasetUploadPartsResponse = z.object({
  parts: z.array(z.object({ partNumber: z.number(), url: z.string() })),
  expiresAt: z.iso.datetime(),
});
export type TSignDatasetUploadPartsResponse = z.infer<typeof ZSignDatasetUploadPartsResponse>;
