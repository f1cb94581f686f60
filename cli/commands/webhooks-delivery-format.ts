import type { TWebhookMessage } from "../../client";

type TAttempt = TWebhookMessage["attemptsLog"][number];

/** One attempt's outcome in a few words: "200", "500", or the error when there was no HTTP answer. */
export function describeWebhookAttempt(a: Pick<TAttempt, "statusCode" | "error">): string {
  if (a.statusCode !== null) return String(a.statusCode);
  return a.error ? `no answer (${a.error})` : "no answer";
}
