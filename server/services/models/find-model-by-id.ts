import { AppError } from "../../../contracts/app-error";
import type { Model } from "../../../generated/prisma/client";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

/** The model in the caller's workspace, or NOT_FOUND (also when it exists in another workspace). */
export async function findModelById(deps: Pick<TServiceDeps, "prisma">, caller: TServiceCaller, modelId: string): Promise<Model> {
  const model = await deps.prisma.model.findFirst({ where: { id: modelId, workspaceId: caller.workspaceId } });
  if (!model) throw new AppError("NOT_FOUND", { userMessage: `model ${modelId} not found` });
  return model;
}
