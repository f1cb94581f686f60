import { findWebhookEndpoint } from "../../../services/webhooks/manage-webhook-endpoints";
import { protectedProcedure } from "../../trpc";
import { ZGetWebhookSecretRequest, ZGetWebhookSecretResponse } from "./get-webhook-secret.types";

/** The endpoint's current signing secret (members of the workspace may read it, as in Svix). */
export const getWebhookSecretProcedure = protectedProcedure
  .input(ZGetWebhookSecretRequest)
  .output(ZGetWebhookSecretResponse)
  .query(async ({ ctx, input }) => ({ secret: (await findWebhookEndpoint(ctx.deps, ctx.caller, input.endpointId)).secret }));
