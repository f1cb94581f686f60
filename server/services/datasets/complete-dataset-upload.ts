import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AppError } from "../../../contracts/app-error";
import type { Dataset } from "../../../generated/prisma/client";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { assertAcceptingParts, finishMultipartUpload } from "../uploads/multipart-upload";
import { materializeDataset, summarizeDataset, toSafeFileName } from "../../../worker/data/dataset-files";
import { findDatasetById } from "./find-dataset-by-id";

/**
 * Finishes a dataset upload: assembles the parts, checks the stored size, downloads it once to a scratch folder,
 * hashes it, unpacks bundles and parses every data file into a summary. Success leaves the dataset "ready";
 * any failure deletes the object and leaves it "failed" with the user-readable reason.
 */
export async function completeDatasetUpload(
  deps: Pick<TServiceDeps, "prisma" | "store" | "config">,
  caller: TServiceCaller,
  input: { datasetId: string; parts: Array<{ partNumber: number; etag: string }> },
): Promise<Dataset> {
  const dataset = await findDatasetById(deps, caller, input.datasetId);
  const { uploadId, partCount } = assertAcceptingParts("dataset", dataset);
  const numbers = new Set(input.parts.map((p) => p.partNumber));
  if (numbers.size !== input.parts.length || numbers.size !== partCount || [...numbers].some((n) => n < 1 || n > partCount)) {
    throw new AppError("BAD_INPUT", { userMessage: `send each of the ${partCount} parts exactly once (got ${input.parts.length})` });
  }
  const claimed = await deps.prisma.dataset.updateMany({
    where: { id: dataset.id, workspaceId: caller.workspaceId, state: "uploading" },
    data: { state: "validating" },
  });
  if (claimed.count === 0) throw new AppError("CONFLICT", { userMessage: `dataset ${dataset.id} is already being completed` });

  const workDir = await mkdtemp(path.join(os.tmpdir(), "condense-dataset-"));
  try {
    return await finishMultipartUpload({
      store: deps.store,
      row: { ...dataset, uploadId },
      parts: input.parts,
      reopen: () => deps.prisma.dataset.update({ where: { id: dataset.id }, data: { state: "uploading" } }),
      markFailed: (error) => deps.prisma.dataset.update({ where: { id: dataset.id }, data: { state: "failed", error, uploadId: null } }),
      internalUserMessage: "the dataset could not be validated because of a problem on our side: upload it again",
      validate: async (storedBytes) => {
        const { dataPath, fileCount } = await materializeDataset(deps.store, dataset, workDir);
        const sha256 = await hashFile(path.join(workDir, toSafeFileName(dataset.name)));
        const summary = await summarizeDataset(dataPath, fileCount, dataset.name);
        return deps.prisma.dataset.update({
          where: { id: dataset.id },
          data: { state: "ready", sha256, sizeBytes: BigInt(storedBytes), summary: summary as object, uploadId: null, error: null },
        });
      },
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
