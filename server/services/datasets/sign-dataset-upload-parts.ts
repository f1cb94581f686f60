import { AppError } from "../../../contracts/app-error";
import { presignUploadPartUrl } from "../../storage/object-store";
import { PART_URL_TTL_SECONDS } from "../models/sign-upload-parts";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { findDatasetById } from "./find-dataset-by-id";

/** Presigned PUT URLs for parts of a dataset upload in progress (asking again re-signs: retry/resume). */
export async function signDatasetUploadParts(
  deps: Pick<TServiceDeps, "prisma" | "store">,
  caller: TServiceCaller,
  input: { datasetId: string; partNumbers: number[] },
): Promise<{ parts: Array<{ partNumber: number; url: string }>; expiresAt: Date }> {
  const dataset = await findDatasetById(deps, caller, input.datasetId);
  if (dataset.state !== "uploading" || !dataset.uploadId || !dataset.partBytes) {
    throw new AppError("CONFLICT", { userMessage: `dataset ${dataset.id} is not accepting uploads (it is ${dataset.state})` });
  }
  const partCount = Math.ceil(Number(dataset.sizeBytes) / dataset.partBytes);
  const bad = input.partNumbers.filter((n) => n < 1 || n > partCount);
  if (bad.length > 0) throw new AppError("BAD_INPUT", { userMessage: `part numbers must be between 1 and ${partCount}; got ${bad.join(", ")}` });
  const expiresAt = new Date(Date.now() + PART_URL_TTL_SECONDS * 1000);
  const parts = await Promise.all(
    [...new Set(input.partNumbers)].sort((a, b) => a - b).map(async (partNumber) => ({
      partNumber,
      url: await presignUploadPartUrl(deps.store, dataset.storageKey, dataset.uploadId!, partNumber, PART_URL_TTL_SECONDS),
    })),
  );
  return { parts, expiresAt };
}
