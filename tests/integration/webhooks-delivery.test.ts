/**
 * Webhook delivery against real HTTP receivers that verify signatures with the `standardwebhooks` library:
 * the API (real HTTP) configures endpoints, the dispatcher (as it runs inside workers) delivers through pg-boss
 * on the real PostgreSQL. Retry delays are 1 s here (WEBHOOK_RETRY_SCHEDULE_SECONDS) and the timeout 1 s.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../server/config";
import { createJobQueue, type TJobQueue } from "../../server/queue/job-queue";
import { createWebhookEndpoint } from "../../server/services/webhooks/manage-webhook-endpoints";
import { sendWebhookRequest } from "../../server/webhooks/send-webhook-request";
import { startWebhookDispatcher, type TWebhookDispatcher } from "../../server/webhooks/start-webhook-dispatcher";
import { catchError, signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";
import { startWebhookReceiver, verifyWebhook, type TWebhookReceiver } from "./webhooks-kit";
import { waitFor } from "./worker-test-kit";

const WEBHOOK_ENV = {
  WEBHOOKS_ALLOW_LOOPBACK: "true",
  WEBHOOK_RETRY_SCHEDULE_SECONDS: "1,1",
  WEBHOOK_TIMEOUT_MS: "1000",
  WEBHOOK_DISABLE_AFTER_FAILURES: "3",
};

let env: TApiTestEnv;
let dispatcherQueue: TJobQueue;
let dispatcher: TWebhookDispatcher;
const receivers: TWebhookReceiver[] = [];

async function newReceiver(): Promise<TWebhookReceiver> {
  const r = await startWebhookReceiver();
  receivers.push(r);
  return r;
}

beforeAll(async () => {
  env = await startApiTestEnv("webhooks", WEBHOOK_ENV);
  dispatcherQueue = await createJobQueue(env.stack.databaseUrl, { supervise: false, maxConnections: 6 });
  dispatcher = await startWebhookDispatcher({ queue: dispatcherQueue, prisma: env.prisma, config: env.config, outboxIntervalMs: 100, pollingIntervalSeconds: 0.5 });
});

afterAll(async () => {
  await dispatcher?.stop();
  await dispatcherQueue?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await env?.stop();
});

async function readMessage(user: Awaited<ReturnType<typeof signUpUser>>, endpointId: string, done: (m: { state: string; attempts: number }) => boolean) {
  return waitFor(
    async () => (await user.client.api.webhooks.deliveries.query({ endpointId, limit: 5 })).items[0],
    (m) => !!m && done(m),
    20_000,
    "webhook message state",
  );
}

describe("webhook delivery", () => {
  test("success: signed with the endpoint secret (receiver verifies), logged with status, latency and snippet", async () => {
    const user = await signUpUser(env, "wh-ok");
    const receiver = await newReceiver();
    const { endpoint, secret } = await user.client.api.webhooks.create.mutate({ url: receiver.url });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    expect(endpoint.events).toEqual(["job.started", "job.succeeded", "job.failed", "job.canceled"]);
    const sent = await user.client.api.webhooks.sendTest.mutate({ endpointId: endpoint.id });
    const [req] = await receiver.waitForCount(1);
    expect(req!.id).toBe(sent.id);
    expect(req!.eventType).toBe("webhook.test");
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(Math.abs(Number(req!.timestamp) - Date.now() / 1000)).toBeLessThan(30);
    const body = verifyWebhook(secret, req!) as { id: string; state: string };
    expect(body).toMatchObject({ id: "job_test_event", state: "succeeded" });

    const message = await readMessage(user, endpoint.id, (m) => m.state === "delivered");
    expect(message.attemptsLog).toHaveLength(1);
    expect(message.attemptsLog[0]).toMatchObject({ attempt: 1, statusCode: 200, responseSnippet: "ok", error: null });
    expect(message.attemptsLog[0]!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  test("tampered body, wrong secret or stale signature are rejected by the receiver's verifier", async () => {
    const user = await signUpUser(env, "wh-tamper");
    const receiver = await newReceiver();
    const { endpoint, secret } = await user.client.api.webhooks.create.mutate({ url: receiver.url });
    await user.client.api.webhooks.sendTest.mutate({ endpointId: endpoint.id });
    const [req] = await receiver.waitForCount(1);
    expect(() => verifyWebhook(secret, req!)).not.toThrow();
    expect(() => verifyWebhook(secret, { ...req!, body: req!.body.replace('"succeeded"', '"failed"') })).toThrow(/signature/i);
    const other = (await user.client.api.webhooks.create.mutate({ url: receiver.url })).secret;
    expect(() => verifyWebhook(other, req!)).toThrow(/signature/i);
    expect(() => verifyWebhook(secret, { ...req!, id: "msg_other" })).toThrow(/signature/i);
  });

  test("500 then 200: retried after the published delay with the same webhook-id and body", async () => {
    const user = await signUpUser(env, "wh-retry");
    const receiver = await newReceiver();
    receiver.reply({ status: 500, body: "boom" });
    const { endpoint, secret } = await user.client.api.webhooks.create.mutate({ url: receiver.url });
    await user.client.api.webhooks.sendTest.mutate({ endpointId: endpoint.id });
    const [first, second] = await receiver.waitForCount(2);
    expect(second!.id).toBe(first!.id);
    expect(second!.body).toBe(first!.body);
    // Schedule "1,1": the retry waits at least 1 s (jitter only adds).
    expect(second!.receivedAtMs - first!.receivedAtMs).toBeGreaterThanOrEqual(1000);
    expect(verifyWebhook(secret, second!)).toBeTruthy();
    const message = await readMessage(user, endpoint.id, (m) => m.state === "delivered");
    expect(message.attempts).toBe(2);
    expect(message.attemptsLog.map((a) => a.statusCode)).toEqual([200, 500]);
    expect(message.attemptsLog[1]).toMatchObject({ responseSnippet: "boom", error: "HTTP 500" });
    const after = await user.client.api.webhooks.get.query({ endpointId: endpoint.id });
    expect(after).toMatchObject({ enabled: true, consecutiveFailures: 0 });
  });

  test("410 Gone disables the endpoint at once, with the reason, and nothing is retried", async () => {
    const user = await signUpUser(env, "wh-gone");
    const receiver = await newReceiver();
    receiver.reply({ status: 410 });
    const { endpoint } = await user.client.api.webhooks.create.mutate({ url: receiver.url });
    await user.client.api.webhooks.sendTest.mutate({ endpointId: endpoint.id });
    await readMessage(user, endpoint.id, (m) => m.state === "failed");
    const after = await user.client.api.webhooks.get.query({ endpointId: endpoint.id });
    expect(after).toMatchObject({ enabled: false, disabledReason: "the receiver answered 410 Gone" });
    await new Promise((r) => setTimeout(r, 2000));
    expect(receiver.received).toHaveLength(1);
    const refused = await catchError(() => user.client.api.webhooks.sendTest.mutate({ endpointId: endpoint.id }));
    expect(refused.message).toContain("the endpoint is disabled (the receiver answered 410 Gone)");
    // Re-enabling starts over.
    const enabled = await user.client.api.webhooks.update.mutate({ endpointId: endpoint.id, enabled: true });
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
  });

  test("redirects are not followed; repeated failures disable the endpoint and say why", async () => {
    const user = await signUpUser(env, "wh-redirect");
    const receiver = await newReceiver();
    const target = await newReceiver();
    const redirect = { status: 302, headers: { location: target.url } };
    receiver.reply(redirect, redirect, redirect);
    const { endpoint } = await user.client.api.webhooks.create.mutate({ url: receiver.url });
    await user.client.api.webhooks.sendTest.mutate({ endpointId: endpoint.id });
    const message = await readMessage(user, endpoint.id, (m) => m.state === "failed");
    expect(target.received).toHaveLength(0);
    expect(receiver.received).toHaveLength(3);
    expect(message.attemptsLog[0]).toMatchObject({ statusCode: 302 });
    expect(message.attemptsLog[0]!.error).toContain("redirects are not followed (HTTP 302");
    const after = await user.client.api.webhooks.get.query({ endpointId: endpoint.id });
    expect(after.enabled).toBe(false);
    expect(after.disabledReason).toMatch(/^3 deliveries in a row failed \(last: redirects are not followed/);
  });

  test("a receiver slower than the timeout is cut off and the attempt logged as a timeout", async () => {
    const user = await signUpUser(env, "wh-timeout");
    const receiver = await newReceiver();
    receiver.reply({ status: 200, delayMs: 4000 });
    const { endpoint } = await user.client.api.webhooks.create.mutate({ url: receiver.url });
    await user.client.api.webhooks.sendTest.mutate({ endpointId: endpoint.id });
    const message = await readMessage(user, endpoint.id, (m) => m.attempts >= 2);
    const first = message.attemptsLog.find((a) => a.attempt === 1)!;
    expect(first).toMatchObject({ statusCode: null, error: "timed out after 1000 ms" });
    expect(first.latencyMs).toBeGreaterThanOrEqual(950);
    expect(first.latencyMs).toBeLessThan(3000);
  });

  test("job events: the body is exactly the job as jobs.get returns it; per-job webhooks use the workspace secret", async () => {
    const user = await signUpUser(env, "wh-job");
    const endpointReceiver = await newReceiver();
    const jobReceiver = await newReceiver();
    const { secret } = await user.client.api.webhooks.create.mutate({ url: endpointReceiver.url, events: ["job.canceled"] });
    const model = await env.prisma.model.create({
      data: { workspaceId: user.workspaceId, name: "m.onnx", state: "ready", sizeBytes: 10n, storageKey: `k-${Date.now()}` },
    });
    const job = await user.client.createJob({ modelId: model.id, preset: "analyze", webhook: { url: jobReceiver.url, events: ["job.canceled"] } });
    expect(job).toMatchObject({ webhookUrl: jobReceiver.url, webhookEvents: ["job.canceled"] });
    await user.client.cancelJob(job.id);
    const [viaEndpoint] = await endpointReceiver.waitForCount(1);
    const [viaJob] = await jobReceiver.waitForCount(1);
    const asApi = await user.client.getJob(job.id);
    expect(viaEndpoint!.eventType).toBe("job.canceled");
    expect(verifyWebhook(secret, viaEndpoint!)).toEqual(asApi);
    const { secret: workspaceSecret } = await user.client.api.webhooks.signingSecret.query();
    expect(verifyWebhook(workspaceSecret, viaJob!)).toEqual(asApi);
    expect(viaJob!.id).not.toBe(viaEndpoint!.id);

    // Manual redelivery: same webhook-id and body again.
    const log = await user.client.api.webhooks.deliveries.query({ jobId: job.id });
    const delivered = await waitFor(
      async () => (await user.client.api.webhooks.deliveries.query({ jobId: job.id })).items,
      (items) => items.length === 2 && items.every((m) => m.state === "delivered"),
      20_000,
      "both deliveries",
    );
    expect(log.items.length).toBeGreaterThan(0);
    const endpointMessage = delivered.find((m) => m.endpointId !== null)!;
    await user.client.api.webhooks.redeliver.mutate({ messageId: endpointMessage.id });
    const again = await endpointReceiver.waitForCount(2);
    expect(again[1]!.id).toBe(viaEndpoint!.id);
    expect(again[1]!.body).toBe(viaEndpoint!.body);
  });

  test("secret rotation: deliveries carry old and new signatures during the grace period", async () => {
    const user = await signUpUser(env, "wh-rotate");
    const receiver = await newReceiver();
    const { endpoint, secret: oldSecret } = await user.client.api.webhooks.create.mutate({ url: receiver.url });
    const rotated = await user.client.api.webhooks.rotateSecret.mutate({ endpointId: endpoint.id });
    expect(rotated.secret).not.toBe(oldSecret);
    expect(new Date(rotated.previousSecretExpiresAt).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    await user.client.api.webhooks.sendTest.mutate({ endpointId: endpoint.id });
    const [req] = await receiver.waitForCount(1);
    expect(req!.signature.split(" ")).toHaveLength(2);
    expect(verifyWebhook(rotated.secret, req!)).toBeTruthy();
    expect(verifyWebhook(oldSecret, req!)).toBeTruthy();
    expect((await user.client.api.webhooks.getSecret.query({ endpointId: endpoint.id })).secret).toBe(rotated.secret);
  });

  test("SSRF: metadata, private and loopback addresses are refused when saved and at connect time", async () => {
    const user = await signUpUser(env, "wh-ssrf");
    const strictDeps = { prisma: env.prisma, config: loadConfig({ ...env.stack.env, WEBHOOKS_ALLOW_LOOPBACK: "false" }) };
    const caller = { userId: "u", workspaceId: user.workspaceId };
    await expect(createWebhookEndpoint(strictDeps, caller, { url: "http://169.254.169.254/latest/meta-data/" })).rejects.toThrow(
      "webhook URL refused: 169.254.169.254 is a private, link-local or reserved address",
    );
    await expect(createWebhookEndpoint(strictDeps, caller, { url: "http://10.0.0.1/hook" })).rejects.toThrow("10.0.0.1 is a private");
    await expect(createWebhookEndpoint(strictDeps, caller, { url: "http://[::1]:8080/hook" })).rejects.toThrow("::1 is a loopback address");
    await expect(createWebhookEndpoint(strictDeps, caller, { url: "gopher://example.com/" })).rejects.toThrow("must use http or https");
    // Through the API (loopback allowed in this test env), private and metadata addresses stay refused.
    const viaApi = await catchError(() => user.client.api.webhooks.create.mutate({ url: "http://169.254.169.254/" }));
    expect(viaApi.data?.httpStatus).toBe(400);
    const perJob = await catchError(() => user.client.createJob({ modelId: "x", preset: "analyze", webhook: { url: "http://10.0.0.1/" } }));
    expect(perJob.message).toContain("10.0.0.1 is a private");
    expect(await env.prisma.webhookEndpoint.count({ where: { workspaceId: user.workspaceId } })).toBe(0);

    // Connect time: a name that resolves to loopback is refused before any byte is sent.
    const receiver = await newReceiver();
    const byName = receiver.url.replace("127.0.0.1", "localhost");
    const res = await sendWebhookRequest({ url: byName, headers: {}, body: "{}", timeoutMs: 2000, allowLoopback: false });
    expect(res).toMatchObject({ ok: false, statusCode: null });
    expect(res.error).toMatch(/webhook URL refused: localhost resolves to (127\.0\.0\.1|::1)/);
    const allowed = await sendWebhookRequest({ url: byName, headers: {}, body: "{}", timeoutMs: 2000, allowLoopback: true });
    expect(allowed.statusCode).toBe(200);
    expect(receiver.received).toHaveLength(1);
  });
});
