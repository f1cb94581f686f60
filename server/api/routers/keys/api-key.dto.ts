import { z } from "zod";
import type { TApiKeyWithCreator } from "../../../services/api-keys/list-api-keys";

/** An API key as lists show it: never the key itself, only its display prefix. */
export const ZApiKeyDto = z.object({
  id: z.string(),
  name: z.string(),
  /** e.g. "cnd_live_AbC123": the start of the key, to tell keys apart. */
  prefix: z.string(),
  createdByEmail: z.string().nullable(),
  createdAt: z.iso.datetime(),
  /** Updated at most once a minute. */
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});
export type TApiKeyDto = z.infer<typeof ZApiKeyDto>;

/** Maps an ApiKey row to its DTO. */
export function toApiKeyDto(key: Omit<TApiKeyWithCreator, "createdBy"> & { createdBy?: { email: string } | null }): TApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    createdByEmail: key.createdBy?.email ?? null,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
