import { sendTestWebhook } from "../../../services/webhooks/webhook-deliveries";
import { protectedProcedure } from "../../trpc";
import { ZSendTestWebhookRequest, ZSendTestWebhookResponse } from "./send-test-webhook.types";
import { toWebhookMessageDto } from "./webhook.dto";

/** Queues a `webhook.test` event to the endpoint; follow it with webhooks.deliveries. */
export const sendTestWebhookProcedure = protectedProcedure
  .input(ZSendTestWebhookRequest)
  .output(ZSendTestWebhookResponse)
  .mutation(async ({ ctx, input }) => toWebhookMessageDto(await sendTestWebhook(ctx.deps, ctx.caller, input.endpointId)));
