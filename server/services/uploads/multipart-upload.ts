/**
 * The lifecycle every presigned multipart upload shares (models and datasets): which parts may be signed, and how
 * a completion assembles the parts, checks the stored size, validates the bytes and cleans up after a failure.
 * The services keep what differs: their rows, their part checks and their validation.
 */
import { AppError, isAppError } from "../../../contracts/app-error";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  deleteObject,
  headObjectSize,
  presignUploadPartUrl,
  type TObjectStore,
} from "../../storage/object-store";
import { formatBytes } from "../models/create-upload";

/** How long a part URL stays valid; a client that outlives it just asks again. */
export const PART_URL_TTL_SECONDS = 3600;

/** The columns of an uploaded object's row (Model, Dataset) this lifecycle reads. */
export type TUploadRow = {
  id: string;
  state: string;
  storageKey: string;
  uploadId: string | null;
  partBytes: number | null;
  sizeBytes: bigint;
};

/** The upload's id and part size, or CONFLICT when the row is not waiting for parts. `kind` names it in messages. */
export function assertAcceptingParts(kind: string, row: TUploadRow): { uploadId: string; partBytes: number; partCount: number } {
  if (row.state !== "uploading" || !row.uploadId || !row.partBytes) {
    throw new AppError("CONFLICT", { userMessage: `${kind} ${row.id} is not accepting uploads (it is ${row.state})` });
  }
  return { uploadId: row.uploadId, partBytes: row.partBytes, partCount: Math.ceil(Number(row.sizeBytes) / row.partBytes) };
}

/**
 * Presigned PUT URLs for some parts of an upload in progress. Asking again for a part (after a failed PUT) gives
 * a fresh URL: that is the whole resume protocol, storage keeps the parts already sent.
 */
export async function presignUploadParts(
  store: TObjectStore,
  kind: string,
  row: TUploadRow,
  partNumbers: readonly number[],
): Promise<{ parts: Array<{ partNumber: number; url: string }>; expiresAt: Date }> {
  const { uploadId, partCount } = assertAcceptingParts(kind, row);
  const bad = partNumbers.filter((n) => n < 1 || n > partCount);
  if (bad.length > 0) {
    throw new AppError("BAD_INPUT", { userMessage: `part numbers must be between 1 and ${partCount}; got ${bad.join(", ")}` });
  }
  const unique = [...new Set(partNumbers)].sort((a, b) => a - b);
  const expiresAt = new Date(Date.now() + PART_URL_TTL_SECONDS * 1000);
  const parts = await Promise.all(
    unique.map(async (partNumber) => ({ partNumber, url: await presignUploadPartUrl(store, row.storageKey, uploadId, partNumber, PART_URL_TTL_SECONDS) })),
  );
  return { parts, expiresAt };
}

/**
 * Completes a claimed upload (the row is "validating"): assembles the parts, checks the stored size against the
 * declared one and runs `validate`, whose result is returned. Wrong ETags hand the row back to "uploading" (the
 * parts are still stored, the client re-sends the bad ones). Any later failure deletes the object and marks the
 * row failed with the user-readable reason, so nothing half-stored remains; unexpected errors become INTERNAL
 * with `internalUserMessage`.
 */
export async function finishMultipartUpload<R>(opts: {
  store: TObjectStore;
  row: TUploadRow & { uploadId: string };
  parts: Array<{ partNumber: number; etag: string }>;
  reopen: () => Promise<unknown>;
  markFailed: (userMessage: string) => Promise<unknown>;
  validate: (storedBytes: number) => Promise<R>;
  internalUserMessage: string;
}): Promise<R> {
  const { store, row } = opts;
  try {
    await completeMultipartUpload(store, row.storageKey, row.uploadId, opts.parts);
  } catch (err) {
    await opts.reopen();
    throw new AppError("BAD_INPUT", {
      message: `CompleteMultipartUpload failed for ${row.storageKey}: ${(err as Error).message}`,
      userMessage: "storage could not assemble the parts (an ETag does not match a stored part): re-upload the failed parts and complete again",
      cause: err,
    });
  }
  try {
    const declaredBytes = Number(row.sizeBytes);
    const storedBytes = await headObjectSize(store, row.storageKey);
    if (storedBytes !== declaredBytes) {
      throw new AppError("UNPROCESSABLE", {
        userMessage: `the uploaded file is ${formatBytes(storedBytes ?? 0)} but ${formatBytes(declaredBytes)} were announced: upload it again`,
      });
    }
    return await opts.validate(storedBytes);
  } catch (err) {
    const appError = isAppError(err)
      ? err
      : new AppError("INTERNAL", {
          message: `validating upload ${row.storageKey} failed: ${(err as Error).message}`,
          userMessage: opts.internalUserMessage,
          cause: err,
        });
    await deleteObject(store, row.storageKey).catch(() => undefined);
    await abortMultipartUpload(store, row.storageKey, row.uploadId);
    await opts.markFailed(appError.userMessage);
    throw appError;
  }
}
