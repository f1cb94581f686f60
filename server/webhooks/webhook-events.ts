
export { DEFAULT_WEBHOOK_EVENTS, WEBHOOK_EVENT_TYPES, ZWebhookEventType, type TWebhookEventType } from "../../contracts/webhook-events";

/** Event type of "send test event" deliveries (not subscribable). */
export const WEBHOOK_TEST_EVENT = "webhook.test";

/** The pg-boss queue of webhook deliveries (apart from compression jobs, so a webhook backlog never delays jobs). */
export const WEBHOOK_QUEUE_NAME = "condense-webhooks";

/** Header that carries the event type (the Standard Webhooks headers are webhook-id/-timestamp/-signature). */
export const WEBHOOK_EVENT_HEADER = "condense-event";
