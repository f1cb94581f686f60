import { getWorkspaceWebhookSecret } from "../../../services/webhooks/manage-webhook-endpoints";
import { protectedProcedure } from "../../trpc";
import { ZGetSigningSecretResponse } from "./get-signing-secret.types";

/** The workspace secret that signs per-job webhooks (jobs.create `webhook`), created on first use. */
export const getSigningSecretProcedure = protectedProcedure
  .output(ZGetSigningSecretResponse)
  .query(async ({ ctx }) => ({ secret: await getWorkspaceWebhookSecret(ctx.deps, ctx.caller.workspaceId) }));
