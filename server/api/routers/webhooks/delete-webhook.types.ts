import { z } from "zod";
import { ZEndpointIdRequest } from "./webhook.dto";

export const ZDeleteWebhookRequest = ZEndpointIdRequest;
export type TDeleteWebhookRequest = z.infer<typeof ZDeleteWebhookRequest>;

export const ZDeleteWebhookResponse = z.object({ ok: z.literal(true) });
export type TDeleteWebhookResponse = z.infer<typeof ZDeleteWebhookResponse>;
