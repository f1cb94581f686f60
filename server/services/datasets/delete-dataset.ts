import { AppError } from "../../../contracts/app-error";
import type { Dataset } from "../../../generated/prisma/client";
import { abortMultipartUpload, deleteObject } from "../../storage/object-store";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { findDatasetById } from "./find-dataset-by-id";

/**
 * Deletes a dataset and its bytes. Refused while a queued or running job still needs it (the worker downloads the
 * data when the job starts); finished jobs keep their reports, which name the data they used.
 */
export async function deleteDataset(deps: Pick<TServiceDeps, "prisma" | "store">, caller: TServiceCaller, datasetId: string): Promise<Dataset> {
  const dataset = await findDatasetById(deps, caller, datasetId);
  const active = await deps.prisma.job.count({
    where: {
      workspaceId: caller.workspaceId,
      state: { in: ["queued", "running"] },
      OR: [{ calibrationDatasetId: dataset.id }, { evaluationDatasetId: dataset.id }],
    },
  });
  if (active > 0) {
    throw new AppError("CONFLICT", { userMessage: `dataset ${dataset.id} is used by ${active} queued or running job${active === 1 ? "" : "s"}: wait for them or cancel them first` });
  }
  await deps.prisma.dataset.delete({ where: { id: dataset.id } });
  if (dataset.uploadId) await abortMultipartUpload(deps.store, dataset.storageKey, dataset.uploadId);
  await deleteObject(deps.store, dataset.storageKey).catch(() => undefined);
  return dataset;
}
