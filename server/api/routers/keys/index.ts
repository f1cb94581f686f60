import { createTRPCRouter } from "../../trpc";
import { createApiKeyProcedure } from "./create-api-key";
import { listApiKeysProcedure } from "./list-api-keys";
import { revokeApiKeyProcedure } from "./revoke-api-key";

export const keysRouter = createTRPCRouter({
  create: createApiKeyProcedure,
  list: listApiKeysProcedure,
  revoke: revokeApiKeyProcedure,
});
