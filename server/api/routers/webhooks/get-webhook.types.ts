import { z } from "zod";
import { ZEndpointIdRequest, ZWebhookEndpointDto } from "./webhook.dto";

export const ZGetWebhookRequest = ZEndpointIdRequest;
export type TGetWebhookRequest = z.infer<typeof ZGetWebhookRequest>;

export const ZGetWebhookResponse = ZWebhookEndpointDto;
export type TGetWebhookResponse = z.infer<typeof ZGetWebhookResponse>;
