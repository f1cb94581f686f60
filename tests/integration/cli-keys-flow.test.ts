/**
 * The `condense` CLI's platform commands end to end (issue 7): the real binary spawned against the real tRPC API
 * (served over HTTP in this process, on real PostgreSQL + s3rver), a real webhook dispatcher and a real HTTP receiver.
 * login → keys create → the key works as CONDENSE_API_KEY → keys revoke → the same command fails (401, one line);
 * webhooks add → webhooks test → the receiver verifies the signature with `standardwebhooks` and the printed secret;
 * jobs create with the same --idempotency-key twice → the same job; members invite prints a working link.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCondenseClient } from "../../client";
import { createJobQueue, type TJobQueue } from "../../server/queue/job-queue";
import { startWebhookDispatcher, type TWebhookDispatcher } from "../../server/webhooks/start-webhook-dispatcher";
import { getFixtureModel } from "../fixtures/fetch-models";
import { signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";
import { runCondenseIn, type TRunOptions, type TRunResult } from "./cli-kit";
import { startWebhookReceiver, verifyWebhook, type TWebhookReceiver } from "./webhooks-kit";



let env: TApiTestEnv;
let dispatcherQueue: TJobQueue;
let dispatcher: TWebhookDispatcher;
let receiver: TWebhookReceiver;
let tmp: string;
let user: Awaited<ReturnType<typeof signUpUser>>;

const runCondense = (args: string[], opts?: TRunOptions): Promise<TRunResult> => runCondenseIn(tmp, args, opts);

beforeAll(async () => {
  env = await startApiTestEnv("cli-keys", { WEBHOOKS_ALLOW_LOOPBACK: "true" });
  // Deliveries are made by the workers' dispatcher; running it in-process keeps this file free of engine work.
  dispatcherQueue = await createJobQueue(env.stack.databaseUrl, { supervise: false, maxConnections: 4 });
  dispatcher = await startWebhookDispatcher({ queue: dispatcherQueue, prisma: env.prisma, config: env.config, outboxIntervalMs: 100, pollingIntervalSeconds: 0.5 });
  receiver = await startWebhookReceiver();
  tmp = await mkdtemp(path.join(os.tmpdir(), "condense-cli-keys-"));
  user = await signUpUser(env, "cli-keys");
  const login = await runCondense(["login", "--url", env.url, "--email", user.email, "--password-stdin"], { stdin: user.password });
  expect(login.code, login.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await dispatcher?.stop();
  await dispatcherQueue?.stop();
  await receiver?.close();
  await env?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("condense keys / webhooks / members / jobs create options", () => {
  it("creates a key that works as CONDENSE_API_KEY, lists it, and after revoke the same command fails with 401 in one line", async () => {
    const create = await runCondense(["keys", "create", "ci-key"]);
    expect(create.code, create.stderr).toBe(0);
    const key = create.stdout.trim();
    expect(key).toMatch(/^cnd_live_\S+$/);
    expect(create.stdout).toBe(`${key}\n`);
    expect(create.stderr).toMatch(/will not be shown again/);
    const row = await env.prisma.apiKey.findFirstOrThrow({ where: { name: "ci-key" } });
    // Stored only as a hash: the printed key appears nowhere in the row.
    expect(JSON.stringify(row)).not.toContain(key);

    // The key alone (no saved session in this config dir) authenticates.
    const keyEnv = { CONDENSE_URL: env.url, CONDENSE_API_KEY: key, XDG_CONFIG_HOME: path.join(tmp, "xdg-none") };
    const models = await runCondense(["models", "list", "--json"], { extraEnv: keyEnv });
    expect(models.code, models.stderr).toBe(0);
    expect(JSON.parse(models.stdout)).toMatchObject({ items: [], hasMore: false });

    const list = await runCondense(["keys", "list"]);
    expect(list.code, list.stderr).toBe(0);
    const [header, ...lines] = list.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID\s+NAME\s+PREFIX\s+CREATED\s+LAST USED\s+REVOKED$/);
    expect(lines).toHaveLength(1);
    // Used just now by `models list`; not revoked.
    expect(lines[0]).toMatch(new RegExp(`^${row.id}\\s+ci-key\\s+${row.prefix}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+-$`));
    expect(key.startsWith(row.prefix)).toBe(true);

    const revoke = await runCondense(["keys", "revoke", row.id]);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stderr).toContain(`revoked API key "ci-key" (${row.id}`);

    const after = await runCondense(["models", "list", "--json"], { extraEnv: keyEnv });
    expect(after.code).toBe(1);
    expect(after.stdout).toBe("");
    expect(after.stderr).toMatch(/^condense: [^\n]*revoked[^\n]*\n$/);
    // The HTTP answer behind that line is a 401.
    const res = await fetch(`${env.url}/api/trpc/models.list`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(401);

    const listed = await runCondense(["keys", "list", "--json"]);
    expect((JSON.parse(listed.stdout) as { items: { id: string; revokedAt: string | null }[] }).items).toEqual([
      expect.objectContaining({ id: row.id, revokedAt: expect.any(String) }),
    ]);
  }, 60_000);

  it("adds a webhook endpoint, sends a test event that verifies with the printed secret, and logs the delivery", async () => {
    const add = await runCondense(["webhooks", "add", receiver.url, "--events", "job.succeeded,job.failed"]);
    expect(add.code, add.stderr).toBe(0);
    const secret = add.stdout.trim();
    expect(secret).toMatch(/^whsec_\S+$/);
    const endpointId = /added webhook endpoint (\S+) for /.exec(add.stderr)?.[1];
    expect(endpointId).toBeDefined();
    const endpoint = await env.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
    expect(endpoint.events).toEqual(["job.succeeded", "job.failed"]);

    const badEvents = await runCondense(["webhooks", "add", receiver.url, "--events", "job.done"]);
    expect(badEvents.code).toBe(2);
    expect(badEvents.stderr.split("\n")[0]).toMatch(/^condense: --events: unknown event "job\.done"/);

    const test = await runCondense(["webhooks", "test", endpointId!, "--wait"]);
    expect(test.code, test.stderr).toBe(0);
    expect(test.stderr).toMatch(/delivered: 200 in \d+ ms/);
    const messageId = test.stdout.trim();
    const [received] = await receiver.waitForCount(1);
    expect(received.id).toBe(messageId);
    expect(received.eventType).toBe("webhook.test");
    // What a customer's receiver does: verify with the standardwebhooks library and the secret the CLI printed.
    expect(verifyWebhook(secret, received)).toBeTypeOf("object");
    expect(() => verifyWebhook(secret, { ...received, body: `${received.body} ` })).toThrow();

    const deliveries = await runCondense(["webhooks", "deliveries", "--endpoint", endpointId!]);
    expect(deliveries.code, deliveries.stderr).toBe(0);
    const [header, line] = deliveries.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^TIME\s+EVENT\s+STATUS\s+LATENCY\s+ATTEMPT\s+ID\s+DESTINATION$/);
    expect(line).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+webhook\\.test\\s+200\\s+\\d+ ms\\s+1\\s+${messageId}\\s+${endpointId}$`));

    const listed = await runCondense(["webhooks", "list"]);
    expect(listed.stdout).toMatch(new RegExp(`^${endpointId}\\s+${receiver.url.replace(/[.]/g, "\\.")}\\s+job\\.succeeded,job\\.failed\\s+0\\s+\\S+ \\S+\\s+enabled$`, "m"));
  }, 60_000);

  it("jobs create with the same --idempotency-key twice prints the same job id, and stores a per-job --webhook", async () => {
    const model = await user.client.uploadModel(await getFixtureModel("silero_vad_legacy"), { name: "vad" });
    const args = ["jobs", "create", "--model", model.id, "--preset", "analyze", "--idempotency-key", "ci-run-42"];
    const hook = ["--webhook", receiver.url, "--webhook-events", "job.succeeded"];
    const first = await runCondense([...args, ...hook]);
    expect(first.code, first.stderr).toBe(0);
    const second = await runCondense([...args, ...hook]);
    expect(second.code, second.stderr).toBe(0);
    const jobId = first.stdout.trim();
    expect(jobId).not.toBe("");
    expect(second.stdout.trim()).toBe(jobId);
    expect(await env.prisma.job.count({ where: { workspaceId: user.workspaceId } })).toBe(1);
    const job = await env.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ webhookUrl: receiver.url, webhookEvents: ["job.succeeded"] });

    // Same key, different request: refused in one line, no new job.
    const conflict = await runCondense(["jobs", "create", "--model", model.id, "--preset", "analyze", "--idempotency-key", "ci-run-42"]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(await env.prisma.job.count({ where: { workspaceId: user.workspaceId } })).toBe(1);

    const orphanEvents = await runCondense([...args.slice(0, 6), "--webhook-events", "job.failed"]);
    expect(orphanEvents.code).toBe(2);
    expect(orphanEvents.stderr.split("\n")[0]).toBe("condense: --webhook-events needs --webhook URL");
  }, 60_000);

  it("members invite prints the invite link and members list shows the owner", async () => {
    const invite = await runCondense(["members", "invite", "new.person@example.com"]);
    expect(invite.code, invite.stderr).toBe(0);
    const link = invite.stdout.trim();
    expect(link).toMatch(/^http:\/\/\S+\/invite\/\S+$/);
    expect(invite.stderr).toContain("invited new.person@example.com as member");
    // The link's token is the real one: the invited address signs up and accepts it.
    const session = await createCondenseClient({ baseUrl: env.url }).api.auth.signUp.mutate({ email: "new.person@example.com", password: "correct horse battery" });
    const invitee = { client: createCondenseClient({ baseUrl: env.url, sessionToken: session.token }) };
    const token = decodeURIComponent(link.split("/invite/")[1]);
    await invitee.client.api.members.acceptInvitation.mutate({ token });

    const members = await runCondense(["members", "list"]);
    expect(members.code, members.stderr).toBe(0);
    expect(members.stdout.split("\n")[0]).toMatch(/^EMAIL\s+ROLE\s+JOINED\s+USER ID$/);
    expect(members.stdout).toMatch(new RegExp(`^${user.email.replace(/[.]/g, "\\.")}\\s+owner\\s+`, "m"));
    expect(members.stdout).toMatch(/^new\.person@example\.com\s+member\s+/m);
  }, 60_000);
});
