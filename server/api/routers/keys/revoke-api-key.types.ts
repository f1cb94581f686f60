import { z } from "zod";
import { ZApiKeyDto } from "./api-key.dto";

export const ZRevokeApiKeyRequest = z.object({ keyId: z.string().min(1) });
export type TRevokeApiKeyRequest = z.infer<typeof ZRevokeApiKeyRequest>;

export const ZRevokeApiKeyResponse = ZApiKeyDto;
export type TRevokeApiKeyResponse = z.infer<typeof ZRevokeApiKeyResponse>;
