import { createTRPCRouter } from "../../trpc";
import { createWebhookProcedure } from "./create-webhook";
import { deleteWebhookProcedure } from "./delete-webhook";
import { getSigningSecretProcedure } from "./get-signing-secret";
import { getWebhookProcedure } from "./get-webhook";
import { getWebhookSecretProcedure } from "./get-webhook-secret";
import { listWebhookDeliveriesProcedure } from "./list-webhook-deliveries";
import { listWebhooksProcedure } from "./list-webhooks";
import { redeliverWebhookProcedure } from "./redeliver-webhook";
import { rotateWebhookSecretProcedure } from "./rotate-webhook-secret";
import { sendTestWebhookProcedure } from "./send-test-webhook";
import { updateWebhookProcedure } from "./update-webhook";

export const webhooksRouter = createTRPCRouter({
  create: createWebhookProcedure,
  list: listWebhooksProcedure,
  get: getWebhookProcedure,
  update: updateWebhookProcedure,
  delete: deleteWebhookProcedure,
  getSecret: getWebhookSecretProcedure,
  rotateSecret: rotateWebhookSecretProcedure,
  sendTest: sendTestWebhookProcedure,
  deliveries: listWebhookDeliveriesProcedure,
  redeliver: redeliverWebhookProcedure,
  signingSecret: getSigningSecretProcedure,
});
