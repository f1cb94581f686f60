import { z } from "zod";

export const ZCreateDatasetUploadRequest = z.object({
  /** The file name: its extension (.npy, .npz, .pb, .zip, .tar) says how the data is read. */
  name: z.string().trim().min(1, "give the dataset a file name").max(200, "names are at most 200 characters"),
  sizeBytes: z.number().int("sizeBytes must be a whole number").nonnegative().max(Number.MAX_SAFE_INTEGER),
});
export type TCreateDatasetUploadRequest = z.infer<typeof ZCreateDatasetUploadRequest>;

export const ZCreateDatasetUploadResponse = z.object({ datasetId: z.string(), uploadId: z.string(), partBytes: z.number(), partCount: z.number() });
export type TCreateDatasetUploadResponse = z.infer<typeof ZCreateDatasetUploadResponse>;
