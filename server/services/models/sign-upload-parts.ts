import { AppError } from "../../../contracts/app-error";
import { presignUploadPartUrl } from "../../storage/object-store";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { findModelById } from "./find-model-by-id";

/** How long a part URL stays valid; a client that outlives it just asks again. */
export const PART_URL_TTL_SECONDS = 3600;

/**
 * Presigned PUT URLs for some parts of an upload in progress. Asking again for a part (after a failed PUT)
 * gives a fresh URL: that is the whole resume protocol, storage keeps the parts already sent.
 */
export async function signUploadParts(
  deps: Pick<TServiceDeps, "prisma" | "store">,
  caller: TServiceCaller,
  input: { modelId: string; partNumbers: number[] },
): Promise<{ parts: Array<{ partNumber: number; url: string }>; expiresAt: Date }> {
  const model = await findModelById(deps, caller, input.modelId);
  if (model.state !== "uploading" || !model.uploadId || !model.partBytes) {
    throw new AppError("CONFLICT", { userMessage: `model ${model.id} is not accepting uploads (it is ${model.state})` });
  }
  const partCount = Math.ceil(Number(model.sizeBytes) / model.partBytes);
  const bad = input.partNumbers.filter((n) => n < 1 || n > partCount);
  if (bad.length > 0) {
    throw new AppError("BAD_INPUT", { userMessage: `part numbers must be between 1 and ${partCount}; got ${bad.join(", ")}` });
  }
  const unique = [...new Set(input.partNumbers)].sort((a, b) => a - b);
  const expiresAt = new Date(Date.now() + PART_URL_TTL_SECONDS * 1000);
  const parts = await Promise.all(
    unique.map(async (partNumber) => ({
      partNumber,
      url: await presignUploadPartUrl(deps.store, model.storageKey, model.uploadId!, partNumber, PART_URL_TTL_SECONDS),
    })),
  );
  return { parts, expiresAt };
}
