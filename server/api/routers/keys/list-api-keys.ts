import { listApiKeys } from "../../../services/api-keys/list-api-keys";
import { protectedProcedure } from "../../trpc";
import { toApiKeyDto } from "./api-key.dto";
import { ZListApiKeysRequest, ZListApiKeysResponse } from "./list-api-keys.types";

/** The workspace's API keys, revoked ones included, newest first. */
export const listApiKeysProcedure = protectedProcedure
  .input(ZListApiKeysRequest)
  .output(ZListApiKeysResponse)
  .query(async ({ ctx, input }) => {
    const page = await listApiKeys(ctx.deps, ctx.caller, input);
    return { ...page, items: page.items.map(toApiKeyDto) };
  });
