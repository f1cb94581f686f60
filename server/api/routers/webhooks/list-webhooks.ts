import { listWebhookEndpoints } from "../../../services/webhooks/manage-webhook-endpoints";
import { protectedProcedure } from "../../trpc";
import { ZListWebhooksRequest, ZListWebhooksResponse } from "./list-webhooks.types";
import { toWebhookEndpointDto } from "./webhook.dto";

/** The workspace's webhook endpoints, newest first. */
export const listWebhooksProcedure = protectedProcedure
  .input(ZListWebhooksRequest)
  .output(ZListWebhooksResponse)
  .query(async ({ ctx, input }) => {
    const page = await listWebhookEndpoints(ctx.deps, ctx.caller, input);
    return { ...page, items: page.items.map(toWebhookEndpointDto) };
  });
