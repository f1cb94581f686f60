import { AppError } from "../../../contracts/app-error";
import type { Dataset } from "../../../generated/prisma/client";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

/** The dataset in the caller's workspace, or NOT_FOUND (also when it exists in another workspace). */
export async function findDatasetById(deps: Pick<TServiceDeps, "prisma">, caller: TServiceCaller, datasetId: string): Promise<Dataset> {
  const dataset = await deps.prisma.dataset.findFirst({ where: { id: datasetId, workspaceId: caller.workspaceId } });
  if (!dataset) throw new AppError("NOT_FOUND", { userMessage: `dataset ${datasetId} not found` });
  return dataset;
}
