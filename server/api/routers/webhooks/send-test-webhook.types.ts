import { z } from "zod";
import { ZEndpointIdRequest, ZWebhookMessageDto } from "./webhook.dto";

export const ZSendTestWebhookRequest = ZEndpointIdRequest;
export type TSendTestWebhookRequest = z.infer<typeof ZSendTestWebhookRequest>;

export const ZSendTestWebhookResponse = ZWebhookMessageDto;
export type TSendTestWebhookResponse = z.infer<typeof ZSendTestWebhookResponse>;
