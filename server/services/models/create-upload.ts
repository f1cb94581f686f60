import { AppError } from "../../../contracts/app-error";
import type { Model } from "../../../generated/prisma/client";
import { buildModelKey, createKeyToken, createMultipartUpload } from "../../storage/object-store";
import { assertStorageQuota } from "../limits/check-quotas";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

/** S3 allows at most 10,000 parts per upload. */
export const MAX_UPLOAD_PARTS = 10_000;
const MIB = 1024 * 1024;

/** Formats a byte count for messages ("20 GiB", "12.5 MiB"). */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * Part size for a file: the configured size, grown (in whole MiB) when the file would otherwise need more
 * than S3's 10,000 parts.
 */
export function choosePartBytes(sizeBytes: number, configuredPartBytes: number): number {
  const minimum = Math.ceil(sizeBytes / MAX_UPLOAD_PARTS);
  if (minimum <= configuredPartBytes) return configuredPartBytes;
  return Math.ceil(minimum / MIB) * MIB;
}

export type TCreatedUpload = { model: Model; uploadId: string; partBytes: number; partCount: number };

/**
 * Registers a model upload and opens a multipart upload for it; the client then PUTs parts straight to
 * storage. Size limits are checked here first, and again on completion against the stored bytes, because
 * the declared size is only a claim.
 */
export async function createUpload(
  deps: Pick<TServiceDeps, "prisma" | "store" | "config">,
  caller: TServiceCaller,
  input: { name: string; sizeBytes: number },
): Promise<TCreatedUpload> {
  if (input.sizeBytes <= 0) {
    throw new AppError("UNPROCESSABLE", { userMessage: "the file is empty: choose an .onnx model file" });
  }
  if (input.sizeBytes > deps.config.MAX_UPLOAD_BYTES) {
    throw new AppError("PAYLOAD_TOO_LARGE", {
      userMessage: `the file is ${formatBytes(input.sizeBytes)}, larger than the upload limit of ${formatBytes(deps.config.MAX_UPLOAD_BYTES)}`,
      details: { maxBytes: deps.config.MAX_UPLOAD_BYTES },
    });
  }
  await assertStorageQuota(deps, caller, input.sizeBytes);
  const partBytes = choosePartBytes(input.sizeBytes, deps.config.UPLOAD_PART_BYTES);
  const partCount = Math.ceil(input.sizeBytes / partBytes);
  // The id is chosen here so the storage key (which embeds it) is known before the row exists.
  const modelId = crypto.randomUUID();
  const storageKey = buildModelKey(caller.workspaceId, modelId, createKeyToken());
  const uploadId = await createMultipartUpload(deps.store, storageKey, "application/octet-stream");
  const model = await deps.prisma.model.create({
    data: {
      id: modelId,
      workspaceId: caller.workspaceId,
      name: input.name,
      state: "uploading",
      sizeBytes: BigInt(input.sizeBytes),
      storageKey,
      uploadId,
      partBytes,
    },
  });
  return { model, uploadId, partBytes, partCount };
}
