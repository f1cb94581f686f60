import { findWebhookEndpoint } from "../../../services/webhooks/manage-webhook-endpoints";
import { protectedProcedure } from "../../trpc";
import { ZGetWebhookRequest, ZGetWebhookResponse } from "./get-webhook.types";
import { toWebhookEndpointDto } from "./webhook.dto";

/** One endpoint, with why it was disabled if it was. */
export const getWebhookProcedure = protectedProcedure
  .input(ZGetWebhookRequest)
  .output(ZGetWebhookResponse)
  .query(async ({ ctx, input }) => toWebhookEndpointDto(await findWebhookEndpoint(ctx.deps, ctx.caller, input.endpointId)));
