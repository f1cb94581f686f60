import { createWebhookEndpoint } from "../../../services/webhooks/manage-webhook-endpoints";
import { protectedProcedure } from "../../trpc";
import { ZCreateWebhookRequest, ZCreateWebhookResponse } from "./create-webhook.types";
import { toWebhookEndpointDto } from "./webhook.dto";

/** Adds a webhook endpoint; the response carries its `whsec_` signing secret. */
export const createWebhookProcedure = protectedProcedure
  .input(ZCreateWebhookRequest)
  .output(ZCreateWebhookResponse)
  .mutation(async ({ ctx, input }) => {
    const endpoint = await createWebhookEndpoint(ctx.deps, ctx.caller, input);
    return { endpoint: toWebhookEndpointDto(endpoint), secret: endpoint.secret };
  });
