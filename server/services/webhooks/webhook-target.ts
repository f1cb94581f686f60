import { AppError } from "../../../contracts/app-error";
import type { TConfig } from "../../config";
import { assertSavableUrl, ForbiddenWebhookTargetError } from "../../webhooks/ssrf-guard";

/** Validates a webhook URL when it is saved (the address is checked again at every connect): BAD_INPUT if refused. */
export function validateWebhookUrl(config: Pick<TConfig, "WEBHOOKS_ALLOW_LOOPBACK">, url: string): string {
  try {
    return assertSavableUrl(url, { allowLoopback: config.WEBHOOKS_ALLOW_LOOPBACK }).toString();
  } catch (err) {
    if (err instanceof ForbiddenWebhookTargetError) throw new AppError("BAD_INPUT", { userMessage: err.message });
    throw err;
  }
}
