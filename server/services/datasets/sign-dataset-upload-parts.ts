import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { presignUploadParts } from "../uploads/multipart-upload";
import { findDatasetById } from "./find-dataset-by-id";

/** Presigned PUT URLs for parts of a dataset upload in progress (asking again re-signs: retry/resume). */
export async function signDatasetUploadParts(
  deps: Pick<TServiceDeps, "prisma" | "store">,
  caller: TServiceCaller,
  input: { datasetId: string; partNumbers: number[] },
): Promise<{ parts: Array<{ partNumber: number; url: string }>; expiresAt: Date }> {
  return presignUploadParts(deps.store, "dataset", await findDatasetById(deps, caller, input.datasetId), input.partNumbers);
}
