import { redeliverWebhookMessage } from "../../../services/webhooks/webhook-deliveries";
import { protectedProcedure } from "../../trpc";
import { ZRedeliverWebhookRequest, ZRedeliverWebhookResponse } from "./redeliver-webhook.types";
import { toWebhookMessageDto } from "./webhook.dto";

/** Sends a delivered or failed message again, same webhook-id and body, with a fresh round of retries. */
export const redeliverWebhookProcedure = protectedProcedure
  .input(ZRedeliverWebhookRequest)
  .output(ZRedeliverWebhookResponse)
  .mutation(async ({ ctx, input }) => toWebhookMessageDto(await redeliverWebhookMessage(ctx.deps, ctx.caller, input.messageId)));
