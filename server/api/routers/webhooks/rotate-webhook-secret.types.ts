import { z } from "zod";
import { ZEndpointIdRequest } from "./webhook.dto";

export const ZRotateWebhookSecretRequest = ZEndpointIdRequest;
export type TRotateWebhookSecretRequest = z.infer<typeof ZRotateWebhookSecretRequest>;

export const ZRotateWebhookSecretResponse = z.object({
  secret: z.string(),
  /** Until then deliveries carry a signature with the old secret too. */
  previousSecretExpiresAt: z.iso.datetime(),
});
export type TRotateWebhookSecretResponse = z.infer<typeof ZRotateWebhookSecretResponse>;
