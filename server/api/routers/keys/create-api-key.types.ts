import { z } from "zod";
import { ZApiKeyDto } from "./api-key.dto";

export const ZCreateApiKeyRequest = z.object({ name: z.string().trim().min(1, "give the key a name").max(100) });
export type TCreateApiKeyRequest = z.infer<typeof ZCreateApiKeyRequest>;

export const ZCreateApiKeyResponse = z.object({
  /** The key itself (`cnd_live_…`): shown this once, store it now. */
  key: z.string(),
  apiKey: ZApiKeyDto,
});
export type TCreateApiKeyResponse = z.infer<typeof ZCreateApiKeyResponse>;
