import { AppError } from "../../../contracts/app-error";
import type { ApiKey } from "../../../generated/prisma/client";
import type { TRoleCaller, TServiceDeps } from "../service-deps";

/**
 * Revokes a key: the next request with it gets 401 (every request reads revokedAt). Owners may revoke any key of the
 * workspace, members their own. Revoking twice is fine and keeps the first time.
 */
export async function revokeApiKey(deps: Pick<TServiceDeps, "prisma">, caller: TRoleCaller, keyId: string): Promise<ApiKey> {
  const key = await deps.prisma.apiKey.findFirst({ where: { id: keyId, workspaceId: caller.workspaceId } });
  if (!key) throw new AppError("NOT_FOUND", { userMessage: `API key ${keyId} not found` });
  if (caller.role !== "owner" && key.createdById !== caller.userId) {
    throw new AppError("FORBIDDEN", { userMessage: "only workspace owners can revoke other members' API keys" });
  }
  if (key.revokedAt) return key;
  await deps.prisma.apiKey.updateMany({ where: { id: key.id, revokedAt: null }, data: { revokedAt: new Date() } });
  return deps.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
}
