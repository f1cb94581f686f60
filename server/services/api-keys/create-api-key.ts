import { createApiKeyToken, getApiKeyDisplayPrefix } from "../../auth/api-key-token";
import { hashToken } from "../../auth/session-token";
import type { ApiKey } from "../../../generated/prisma/client";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

/** A just-created key: `key` is the only time the secret is ever available. */
export type TCreatedApiKey = { key: string; apiKey: ApiKey & { createdBy: { email: string } | null } };

/** Creates a workspace API key for the caller; the plain key is returned once and only its SHA-256 is stored. */
export async function createApiKey(deps: Pick<TServiceDeps, "prisma">, caller: TServiceCaller, input: { name: string }): Promise<TCreatedApiKey> {
  const key = createApiKeyToken();
  const apiKey = await deps.prisma.apiKey.create({
    include: { createdBy: { select: { email: true } } },
    data: {
      workspaceId: caller.workspaceId,
      createdById: caller.userId,
      name: input.name,
      prefix: getApiKeyDisplayPrefix(key),
      keyHash: hashToken(key),
    },
  });
  return { key, apiKey };
}
