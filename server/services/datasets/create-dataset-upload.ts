import { AppError } from "../../../contracts/app-error";
import type { Dataset } from "../../../generated/prisma/client";
import { buildDatasetKey, createKeyToken, createMultipartUpload } from "../../storage/object-store";
import { assertStorageQuota } from "../limits/check-quotas";
import { choosePartBytes, formatBytes } from "../models/create-upload";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { DATASET_FILE_TYPES, detectDatasetFileType, MAX_DATASET_BYTES, toSafeFileName } from "../../../worker/data/dataset-files";

export type TCreatedDatasetUpload = { dataset: Dataset; uploadId: string; partBytes: number; partCount: number };

/**
 * Registers a dataset upload (calibration / evaluation data) and opens a multipart upload, exactly like a model
 * upload. The name's extension decides how the data is read, so it is checked here, before any byte is sent.
 */
export async function createDatasetUpload(
  deps: Pick<TServiceDeps, "prisma" | "store" | "config">,
  caller: TServiceCaller,
  input: { name: string; sizeBytes: number },
): Promise<TCreatedDatasetUpload> {
  if (!detectDatasetFileType(input.name)) {
    throw new AppError("BAD_INPUT", {
      userMessage: `"${input.name}" is not a dataset file: upload a ${DATASET_FILE_TYPES.join(", ")} file (a .zip/.tar bundle holds .npy, .npz or .pb files)`,
    });
  }
  if (input.sizeBytes <= 0) throw new AppError("UNPROCESSABLE", { userMessage: "the file is empty: choose a data file" });
  const maxBytes = Math.min(MAX_DATASET_BYTES, deps.config.MAX_UPLOAD_BYTES);
  if (input.sizeBytes > maxBytes) {
    throw new AppError("PAYLOAD_TOO_LARGE", {
      userMessage: `the dataset is ${formatBytes(input.sizeBytes)}, larger than the dataset limit of ${formatBytes(maxBytes)}: a few hundred samples are enough for calibration`,
      details: { maxBytes },
    });
  }
  await assertStorageQuota(deps, caller, input.sizeBytes);
  const partBytes = choosePartBytes(input.sizeBytes, deps.config.UPLOAD_PART_BYTES);
  const partCount = Math.ceil(input.sizeBytes / partBytes);
  const datasetId = crypto.randomUUID();
  const storageKey = buildDatasetKey(caller.workspaceId, datasetId, createKeyToken(), toSafeFileName(input.name));
  const uploadId = await createMultipartUpload(deps.store, storageKey, "application/octet-stream");
  const dataset = await deps.prisma.dataset.create({
    data: { id: datasetId, workspaceId: caller.workspaceId, name: input.name, state: "uploading", sizeBytes: BigInt(input.sizeBytes), storageKey, uploadId, partBytes },
  });
  return { dataset, uploadId, partBytes, partCount };
}
