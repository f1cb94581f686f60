import { ListPartsCommand } from "@aws-sdk/client-s3";
import { AppError } from "../../../contracts/app-error";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { findModelById } from "./find-model-by-id";

export type TStoredPart = { partNumber: number; etag: string; sizeBytes: number };

/**
 * The parts of an interrupted model upload that storage already holds (S3 ListParts), so a client can resume and
 * send only the missing ones. `listed` is false when the storage server cannot list parts (s3rver answers
 * MethodNotAllowed): the client then relies on the part ETags it remembered itself.
 */
export async function listUploadParts(
  deps: Pick<TServiceDeps, "prisma" | "store">,
  caller: TServiceCaller,
  input: { modelId: string },
): Promise<{ partBytes: number; partCount: number; sizeBytes: number; listed: boolean; parts: TStoredPart[] }> {
  const model = await findModelById(deps, caller, input.modelId);
  if (model.state !== "uploading" || !model.uploadId || !model.partBytes) {
    throw new AppError("CONFLICT", { userMessage: `model ${model.id} is not accepting uploads (it is ${model.state}): start a new upload` });
  }
  const sizeBytes = Number(model.sizeBytes);
  const partCount = Math.ceil(sizeBytes / model.partBytes);
  const parts: TStoredPart[] = [];
  try {
    let marker: string | undefined;
    do {
      const page = await deps.store.client.send(
        new ListPartsCommand({ Bucket: deps.store.bucket, Key: model.storageKey, UploadId: model.uploadId, PartNumberMarker: marker }),
      );
      for (const p of page.Parts ?? []) {
        if (p.PartNumber && p.ETag) parts.push({ partNumber: p.PartNumber, etag: p.ETag, sizeBytes: p.Size ?? 0 });
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 405 || status === 501) return { partBytes: model.partBytes, partCount, sizeBytes, listed: false, parts: [] };
    throw err;
  }
  // A part of the wrong length (an interrupted PUT some servers keep) is not done: the client sends it again.
  const expected = (n: number) => Math.min(model.partBytes!, sizeBytes - (n - 1) * model.partBytes!);
  const complete = parts.filter((p) => p.partNumber <= partCount && p.sizeBytes === expected(p.partNumber));
  return { partBytes: model.partBytes, partCount, sizeBytes, listed: true, parts: complete.sort((a, b) => a.partNumber - b.partNumber) };
}
