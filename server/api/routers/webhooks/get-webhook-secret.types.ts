import { z } from "zod";
import { ZEndpointIdRequest, ZSecretResponse } from "./webhook.dto";

export const ZGetWebhookSecretRequest = ZEndpointIdRequest;
export type TGetWebhookSecretRequest = z.infer<typeof ZGetWebhookSecretRequest>;

export const ZGetWebhookSecretResponse = ZSecretResponse;
export type TGetWebhookSecretResponse = z.infer<typeof ZGetWebhookSecretResponse>;
