/**
 * Shared setup of the api-* integration tests: a real PostgreSQL database + s3rver (harness.ts), pg-boss on
 * that database, and the tRPC API served over real HTTP by the same handler the Next.js route uses.
 * Tests talk to it only through the typed client, as the portal and CLI do.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { createCondenseClient, type TCondenseClient } from "../../client";
import { startApiServer, type TApiServer } from "../../server/api/http-server";
import { loadConfig, type TConfig } from "../../server/config";
import { createPrismaClient, type PrismaClient } from "../../server/db/prisma";
import { createJobQueue, type TJobQueue } from "../../server/queue/job-queue";
import { createObjectStore, type TObjectStore } from "../../server/storage/object-store";
import { startTestStack, type TTestStack } from "./harness";

export type TApiTestEnv = {
  stack: TTestStack;
  config: TConfig;
  prisma: PrismaClient;
  store: TObjectStore;
  queue: TJobQueue;
  server: TApiServer;
  url: string;
  stop: () => Promise<void>;
};

/** Starts database, s3rver, queue and the API server; `env` overrides config (e.g. UPLOAD_PART_BYTES). */
export async function startApiTestEnv(label: string, env: Record<string, string> = {}): Promise<TApiTestEnv> {
  const stack = await startTestStack(label);
  const config = loadConfig({ ...stack.env, ...env } as Record<string, string> as NodeJS.ProcessEnv);
  const prisma = createPrismaClient(stack.databaseUrl);
  const store = createObjectStore(config);
  const queue = await createJobQueue(stack.databaseUrl, { supervise: false, maxConnections: 2 });
  const server = await startApiServer({ prisma, store, config, enqueueJob: (jobId) => queue.enqueue(jobId) });
  return {
    stack,
    config,
    prisma,
    store,
    queue,
    server,
    url: server.url,
    stop: async () => {
      await server.close();
      await queue.stop();
      await prisma.$disconnect();
      await stack.stop();
    },
  };
}

let userCounter = 0;
/** Signs up a fresh user and returns a client authenticated with their session token. */
export async function signUpUser(
  env: TApiTestEnv,
  name = "user",
): Promise<{ email: string; password: string; token: string; workspaceId: string; client: TCondenseClient }> {
  const email = `${name}-${++userCounter}-${Date.now()}@example.com`;
  const password = "correct horse battery";
  const anonymous = createCondenseClient({ baseUrl: env.url });
  const session = await anonymous.api.auth.signUp.mutate({ email, password });
  return { email, password, token: session.token, workspaceId: session.workspace.id, client: createCondenseClient({ baseUrl: env.url, sessionToken: session.token }) };
}

/** Every object key in the bucket under a prefix. */
export async function listKeys(env: TApiTestEnv, prefix: string): Promise<string[]> {
  const res = await env.store.client.send(new ListObjectsV2Command({ Bucket: env.store.bucket, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!);
}

/** Runs `fn` and returns the error it throws (fails the test if it does not). */
export async function catchError(fn: () => Promise<unknown>): Promise<Error & { data?: { code?: string; httpStatus?: number; appCode?: string | null } }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { data?: { code?: string; httpStatus?: number; appCode?: string | null } };
  }
  throw new Error("expected an error, got success");
}
