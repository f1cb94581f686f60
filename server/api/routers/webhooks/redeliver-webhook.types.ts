import { z } from "zod";
import { ZWebhookMessageDto } from "./webhook.dto";

export const ZRedeliverWebhookRequest = z.object({ messageId: z.string().min(1) });
export type TRedeliverWebhookRequest = z.infer<typeof ZRedeliverWebhookRequest>;

export const ZRedeliverWebhookResponse = ZWebhookMessageDto;
export type TRedeliverWebhookResponse = z.infer<typeof ZRedeliverWebhookResponse>;
