import { updateWebhookEndpoint } from "../../../services/webhooks/manage-webhook-endpoints";
import { protectedProcedure } from "../../trpc";
import { ZUpdateWebhookRequest, ZUpdateWebhookResponse } from "./update-webhook.types";
import { toWebhookEndpointDto } from "./webhook.dto";

/** Changes an endpoint's URL, events, description, or enables/disables it. */
export const updateWebhookProcedure = protectedProcedure
  .input(ZUpdateWebhookRequest)
  .output(ZUpdateWebhookResponse)
  .mutation(async ({ ctx, input }) => toWebhookEndpointDto(await updateWebhookEndpoint(ctx.deps, ctx.caller, input)));
