import { z } from "zod";
import { ZDatasetDto } from "./dataset.dto";

export const ZCompleteDatasetUploadRequest = z.object({
  datasetId: z.string().min(1),
  parts: z.array(z.object({ partNumber: z.number().int().min(1).max(10_000), etag: z.string().min(1) })).min(1).max(10_000),
});
export type TCompleteDatasetUploadRequest = z.infer<typeof ZCompleteDatasetUploadRequest>;

/** The dataset, now "ready" with its summary. Validation failures are errors (the dataset is left "failed"). */
export const ZCompleteDatasetUploadResponse = ZDatasetDto;
export type TCompleteDatasetUploadResponse = z.infer<typeof ZCompleteDatasetUploadResponse>;
