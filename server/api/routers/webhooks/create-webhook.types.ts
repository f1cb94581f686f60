import { z } from "zod";
import { ZEvents, ZWebhookEndpointDto, ZWebhookUrl } from "./webhook.dto";

export const ZCreateWebhookRequest = z.object({
  url: ZWebhookUrl,
  /** Default: job.started, job.succeeded, job.failed, job.canceled. */
  events: ZEvents.optional(),
  description: z.string().trim().max(200).optional(),
});
export type TCreateWebhookRequest = z.infer<typeof ZCreateWebhookRequest>;

export const ZCreateWebhookResponse = z.object({ endpoint: ZWebhookEndpointDto, secret: z.string() });
export type TCreateWebhookResponse = z.infer<typeof ZCreateWebhookResponse>;
