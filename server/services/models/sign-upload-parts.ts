import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { presignUploadParts } from "../uploads/multipart-upload";
import { findModelById } from "./find-model-by-id";

/** Presigned PUT URLs for some parts of a model upload in progress (asking again re-signs: retry/resume). */
export async function signUploadParts(
  deps: Pick<TServiceDeps, "prisma" | "store">,
  caller: TServiceCaller,
  input: { modelId: string; partNumbers: number[] },
): Promise<{ parts: Array<{ partNumber: number; url: string }>; expiresAt: Date }> {
  return presignUploadParts(deps.store, "model", await findModelById(deps, caller, input.modelId), input.partNumbers);
}
