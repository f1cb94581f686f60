import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/** A new endpoint secret: `whsec_` + base64 of 24 random bytes (the Standard Webhooks / Svix format). */
export function createWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/** A new webhook-id: unique per message and the same on every retry, so receivers can deduplicate. */
export function createWebhookMessageId(): string {
  return `msg_${randomBytes(16).toString("base64url")}`;
}

/**
 * The `webhook-signature` header: one `v1,<HMAC-SHA256 of id.timestamp.body>` per secret, space-separated. During a
 * rotation the new and the old secret both sign, so receivers still on the old secret keep verifying.
 */
export function signWebhook(secrets: readonly string[], msgId: string, timestamp: Date, body: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(msgId, timestamp, body)).join(" ");
}
