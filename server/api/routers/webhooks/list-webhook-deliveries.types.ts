import { z } from "zod";
import { createPageSchema, ZListRequest } from "../pagination.types";
import { ZWebhookMessageDto } from "./webhook.dto";

export const ZListWebhookDeliveriesRequest = ZListRequest.extend({
  endpointId: z.string().min(1).optional(),
  jobId: z.string().min(1).optional(),
}).default({ limit: 20 });
export type TListWebhookDeliveriesRequest = z.input<typeof ZListWebhookDeliveriesRequest>;

export const ZListWebhookDeliveriesResponse = createPageSchema(ZWebhookMessageDto);
export type TListWebhookDeliveriesResponse = z.infer<typeof ZListWebhookDeliveriesResponse>;
