import { rotateWebhookSecret } from "../../../services/webhooks/manage-webhook-endpoints";
import { protectedProcedure } from "../../trpc";
import { ZRotateWebhookSecretRequest, ZRotateWebhookSecretResponse } from "./rotate-webhook-secret.types";

/** New signing secret; old and new both sign deliveries for WEBHOOK_ROTATION_GRACE_HOURS. */
export const rotateWebhookSecretProcedure = protectedProcedure
  .input(ZRotateWebhookSecretRequest)
  .output(ZRotateWebhookSecretResponse)
  .mutation(async ({ ctx, input }) => {
    const endpoint = await rotateWebhookSecret(ctx.deps, ctx.caller, input.endpointId);
    return { secret: endpoint.secret, previousSecretExpiresAt: endpoint.previousSecretExpiresAt!.toISOString() };
  });
