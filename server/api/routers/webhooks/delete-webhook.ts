import { deleteWebhookEndpoint } from "../../../services/webhooks/manage-webhook-endpoints";
import { protectedProcedure } from "../../trpc";
import { ZDeleteWebhookRequest, ZDeleteWebhookResponse } from "./delete-webhook.types";

/** Deletes an endpoint and its delivery log. */
export const deleteWebhookProcedure = protectedProcedure
  .input(ZDeleteWebhookRequest)
  .output(ZDeleteWebhookResponse)
  .mutation(async ({ ctx, input }) => {
    await deleteWebhookEndpoint(ctx.deps, ctx.caller, input.endpointId);
    return { ok: true as const };
  });
