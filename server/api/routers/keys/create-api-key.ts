import { createApiKey } from "../../../services/api-keys/create-api-key";
import { sessionProcedure } from "../../trpc";
import { toApiKeyDto } from "./api-key.dto";
import { ZCreateApiKeyRequest, ZCreateApiKeyResponse } from "./create-api-key.types";

/** Creates a workspace API key (signed-in users only); the key is in the response and never again. */
export const createApiKeyProcedure = sessionProcedure
  .input(ZCreateApiKeyRequest)
  .output(ZCreateApiKeyResponse)
  .mutation(async ({ ctx, input }) => {
    const created = await createApiKey(ctx.deps, ctx.caller, input);
    return { key: created.key, apiKey: toApiKeyDto(created.apiKey) };
  });
