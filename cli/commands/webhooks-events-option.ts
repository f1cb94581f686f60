import { WEBHOOK_EVENT_TYPES, type TWebhookEventType } from "../../server/webhooks/webhook-events";
import { CliUsageError } from "../errors";

/**
 * Parses an `--events`-style list ("job.succeeded,job.failed") into event types, checked here so a typo costs no
 * request. Undefined in, undefined out: the server then applies its defaults.
 */
export function parseWebhookEventsOption(value: string | undefined, optionName: string): TWebhookEventType[] | undefined {
  if (value === undefined) return undefined;
  const words = value
    .split(",")
    .map((w) => w.trim())
    .filter((w) => w !== "");
  if (words.length === 0) throw new CliUsageError(`${optionName} needs at least one event: ${WEBHOOK_EVENT_TYPES.join(", ")}`);
  const known = new Set<string>(WEBHOOK_EVENT_TYPES);
  const unknown = words.filter((w) => !known.has(w));
  if (unknown.length > 0) {
    throw new CliUsageError(`${optionName}: unknown event "${unknown[0]}": choose from ${WEBHOOK_EVENT_TYPES.join(", ")}`);
  }
  return [...new Set(words)] as TWebhookEventType[];
}

/** Help text of an events option, listing the choices (lower case: it may follow a prefix). */
export const WEBHOOK_EVENTS_HELP = `comma-separated events (${WEBHOOK_EVENT_TYPES.join(", ")}); default: all but job.progress`;
