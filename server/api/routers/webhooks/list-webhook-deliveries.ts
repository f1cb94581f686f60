import { listWebhookMessages } from "../../../services/webhooks/webhook-deliveries";
import { protectedProcedure } from "../../trpc";
import { ZListWebhookDeliveriesRequest, ZListWebhookDeliveriesResponse } from "./list-webhook-deliveries.types";
import { toWebhookMessageDto } from "./webhook.dto";

/** The delivery log: messages newest first, each with its attempts (time, status, latency, response snippet). */
export const listWebhookDeliveriesProcedure = protectedProcedure
  .input(ZListWebhookDeliveriesRequest)
  .output(ZListWebhookDeliveriesResponse)
  .query(async ({ ctx, input }) => {
    const page = await listWebhookMessages(ctx.deps, ctx.caller, input);
    return { ...page, items: page.items.map(toWebhookMessageDto) };
  });
