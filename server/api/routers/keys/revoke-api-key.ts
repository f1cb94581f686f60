import { revokeApiKey } from "../../../services/api-keys/revoke-api-key";
import { sessionProcedure } from "../../trpc";
import { toApiKeyDto } from "./api-key.dto";
import { ZRevokeApiKeyRequest, ZRevokeApiKeyResponse } from "./revoke-api-key.types";

/** Revokes a key: its next request gets 401. Owners revoke any key, members their own. */
export const revokeApiKeyProcedure = sessionProcedure
  .input(ZRevokeApiKeyRequest)
  .output(ZRevokeApiKeyResponse)
  .mutation(async ({ ctx, input }) => toApiKeyDto(await revokeApiKey(ctx.deps, ctx.caller, input.keyId)));
