import { z } from "zod";
import { ZEvents, ZWebhookEndpointDto, ZWebhookUrl } from "./webhook.dto";

export const ZUpdateWebhookRequest = z.object({
  endpointId: z.string().min(1),
  url: ZWebhookUrl.optional(),
  events: ZEvents.optional(),
  description: z.string().trim().max(200).nullable().optional(),
  /** true re-enables a disabled endpoint (its failure count starts over). */
  enabled: z.boolean().optional(),
});
export type TUpdateWebhookRequest = z.infer<typeof ZUpdateWebhookRequest>;

export const ZUpdateWebhookResponse = ZWebhookEndpointDto;
export type TUpdateWebhookResponse = z.infer<typeof ZUpdateWebhookResponse>;
