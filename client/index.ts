/**
 * The typed Condense client for scripts, CI and the CLI: `createCondenseClient({ baseUrl, apiKey | sessionToken })`.
 * Only `import type` from the server: nothing of the server runtime ends up in a client bundle.
 * Works in Node 20 (file paths, streamed from disk) and in browsers (Blob/File sources).
 */
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../server/api/root";
import { downloadArtifact, type TDownloadOptions, type TDownloadResult } from "./download-artifact";
import { uploadDataset } from "./upload-dataset";
import { uploadModel, type TUploadOptions, type TUploadSource } from "./upload-model";
import { waitForJob, type TWaitOptions } from "./wait-for-job";

export type { AppRouter } from "../server/api/root";
export type TRouterInputs = inferRouterInputs<AppRouter>;
export type TRouterOutputs = inferRouterOutputs<AppRouter>;
export type TModel = TRouterOutputs["models"]["get"];
export type TDataset = TRouterOutputs["datasets"]["get"];
export type TJobLogLine = TRouterOutputs["jobs"]["logs"]["lines"][number];
export type TJob = TRouterOutputs["jobs"]["get"];
export type TPresetInfo = TRouterOutputs["presets"]["list"][number];
export type TCreateJobInput = TRouterInputs["jobs"]["create"];
export type TApiKey = TRouterOutputs["keys"]["list"]["items"][number];
export type TCreatedApiKey = TRouterOutputs["keys"]["create"];
export type TWebhookEndpoint = TRouterOutputs["webhooks"]["get"];
export type TWebhookMessage = TRouterOutputs["webhooks"]["deliveries"]["items"][number];
export type TCreateWebhookInput = TRouterInputs["webhooks"]["create"];
export type TMember = TRouterOutputs["members"]["list"]["items"][number];
export type TWorkspaceSummary = TRouterOutputs["workspaces"]["list"]["items"][number];
export type TApi = ReturnType<typeof createApi>;
export type { TUploadOptions, TUploadSource, TUploadProgress, TUploadedPart } from "./upload-model";
export type { TWaitOptions } from "./wait-for-job";
export type { TDownloadOptions, TDownloadResult, TDownloadProgress } from "./download-artifact";
export { TRPCClientError };

export type TCondenseClientOptions = {
  /** Where the platform runs, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** A workspace API key (issue 7), sent as Bearer. */
  apiKey?: string;
  /** A session token from `signIn`, sent as Bearer. */
  sessionToken?: string;
  /** Replaces global fetch (tests, proxies). */
  fetch?: typeof fetch;
};

function createApi(opts: TCondenseClientOptions) {
  const token = opts.apiKey ?? opts.sessionToken;
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${opts.baseUrl.replace(/\/+$/, "")}/api/trpc`,
        // Per-call headers travel in the operation context: `{ context: { idempotencyKey } }` (jobs.create).
        headers: ({ op }) => {
          const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
          const idempotencyKey = (op.context as { idempotencyKey?: unknown }).idempotencyKey;
          if (typeof idempotencyKey === "string") headers["idempotency-key"] = idempotencyKey;
          return headers;
        },
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      }),
    ],
  });
}

/**
 * A typed API client (`client.api.models.list.query()`, every procedure of AppRouter) plus helpers for the
 * long-running flows: upload, create/wait/cancel a job, download an artifact.
 */
export function createCondenseClient(opts: TCondenseClientOptions) {
  const api = createApi(opts);
  return {
    api,
    /** Uploads a model (file path, bytes or Blob) with parallel, retried multipart PUTs; resolves to the ready model. */
    uploadModel: (source: TUploadSource, uploadOpts: TUploadOptions = {}): Promise<TModel> => uploadModel(api, source, { fetch: opts.fetch, ...uploadOpts }),
    /** Uploads calibration/evaluation data (.npy/.npz/.pb or a .zip/.tar bundle); resolves to the ready dataset. */
    uploadDataset: (source: TUploadSource, uploadOpts: Omit<TUploadOptions, "resume"> = {}): Promise<TDataset> =>
      uploadDataset(api, source, { fetch: opts.fetch, ...uploadOpts }),
    /** Log lines of a job after `afterId` (pass back `nextAfterId` to follow it). */
    getJobLogs: (jobId: string, afterId?: string | null) => api.jobs.logs.query({ jobId, afterId }),
    /**
     * Queues a job for a ready model with a pipeline (object or JSON text) or a preset name. With `idempotencyKey`
     * a retried call returns the first job instead of queueing another (same key + different input: 422).
     */
    createJob: (input: TCreateJobInput, createOpts: { idempotencyKey?: string } = {}): Promise<TJob> =>
      api.jobs.create.mutate(input, createOpts.idempotencyKey ? { context: { idempotencyKey: createOpts.idempotencyKey } } : undefined),
    getJob: (jobId: string): Promise<TJob> => api.jobs.get.query({ jobId }),
    /** Polls until the job is succeeded, failed or canceled, and returns it (it does not throw on "failed"). */
    waitForJob: (jobId: string, waitOpts: TWaitOptions = {}): Promise<TJob> => waitForJob(api, jobId, waitOpts),
    cancelJob: (jobId: string): Promise<TJob> => api.jobs.cancel.mutate({ jobId }),
    /** Downloads an artifact to a file (Node only), verifying its size and SHA-256. */
    downloadArtifact: (jobId: string, name: string, destPath: string, downloadOpts: TDownloadOptions = {}): Promise<TDownloadResult> =>
      downloadArtifact(api, jobId, name, destPath, { fetch: opts.fetch, ...downloadOpts }),
    /** Creates a workspace API key (needs a session token); `key` is shown this once. */
    createApiKey: (name: string): Promise<TCreatedApiKey> => api.keys.create.mutate({ name }),
    /** Every API key of the workspace (all pages). */
    listApiKeys: (): Promise<TApiKey[]> => collectPages((cursor) => api.keys.list.query({ limit: 100, cursor })),
    /** Revokes a key by id: its next request gets 401. */
    revokeApiKey: (keyId: string): Promise<TApiKey> => api.keys.revoke.mutate({ keyId }),
    /** Adds a webhook endpoint; the result holds its `whsec_` secret. */
    addWebhook: (input: TCreateWebhookInput): Promise<TRouterOutputs["webhooks"]["create"]> => api.webhooks.create.mutate(input),
    /** Every webhook endpoint of the workspace (all pages). */
    listWebhooks: (): Promise<TWebhookEndpoint[]> => collectPages((cursor) => api.webhooks.list.query({ limit: 100, cursor })),
    /** Queues a `webhook.test` delivery to an endpoint. */
    sendTestWebhook: (endpointId: string): Promise<TWebhookMessage> => api.webhooks.sendTest.mutate({ endpointId }),
    /** One page of the delivery log (newest first), optionally for one endpoint or job. */
    listWebhookDeliveries: (filter: { endpointId?: string; jobId?: string; limit?: number; cursor?: string } = {}) =>
      api.webhooks.deliveries.query({ limit: filter.limit ?? 20, cursor: filter.cursor, endpointId: filter.endpointId, jobId: filter.jobId }),
  };
}

export type TCondenseClient = ReturnType<typeof createCondenseClient>;

/** Follows `nextCursor` until the last page and returns all items. */
async function collectPages<T>(fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/** Signs in with email + password and returns the session token to use as `sessionToken`. */
export async function signIn(baseUrl: string, email: string, password: string, opts: { fetch?: typeof fetch } = {}): Promise<string> {
  const session = await createApi({ baseUrl, fetch: opts.fetch }).auth.signIn.mutate({ email, password });
  return session.token;
}

/** The user-readable message of an API error (or any error). */
export function getErrorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
