import { z } from "zod";
import { createPageSchema, ZListRequest } from "../pagination.types";
import { ZWebhookEndpointDto } from "./webhook.dto";

export const ZListWebhooksRequest = ZListRequest.default({ limit: 20 });
export type TListWebhooksRequest = z.input<typeof ZListWebhooksRequest>;

export const ZListWebhooksResponse = createPageSchema(ZWebhookEndpointDto);
export type TListWebhooksResponse = z.infer<typeof ZListWebhooksResponse>;
