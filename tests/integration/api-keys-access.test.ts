/**
 * API keys, members and workspaces over real HTTP on a real database: keys authenticate as Bearer, are shown once,
 * stored hashed, revoked at once; keys never cross workspaces; invitations, removal and the workspace switcher.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCondenseClient } from "../../client";
import { isValidApiKey } from "../../server/auth/api-key-token";
import { catchError, signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";

let env: TApiTestEnv;

beforeAll(async () => {
  env = await startApiTestEnv("apikeys");
});

afterAll(async () => {
  await env?.stop();
});

async function addReadyModel(workspaceId: string) {
  return env.prisma.model.create({
    data: { workspaceId, name: "m.onnx", state: "ready", sizeBytes: 10n, storageKey: `k-${Date.now()}-${Math.random()}` },
  });
}

describe("API keys", () => {
  test("created while signed in, shown once, stored as SHA-256 + prefix, authenticate as Bearer, lastUsedAt set", async () => {
    const alice = await signUpUser(env, "keys-alice");
    const created = await alice.client.createApiKey("CI pipeline");
    expect(created.key).toMatch(/^cnd_live_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/);
    expect(isValidApiKey(created.key)).toBe(true);
    expect(created.apiKey).toMatchObject({ name: "CI pipeline", prefix: created.key.slice(0, 15), revokedAt: null, lastUsedAt: null, createdByEmail: alice.email });

    const row = await env.prisma.apiKey.findUniqueOrThrow({ where: { id: created.apiKey.id } });
    expect(row.keyHash).toBe(createHash("sha256").update(created.key).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(created.key);

    const byKey = createCondenseClient({ baseUrl: env.url, apiKey: created.key });
    const me = await byKey.api.auth.me.query();
    expect(me.workspace.id).toBe(alice.workspaceId);
    const model = await addReadyModel(alice.workspaceId);
    const job = await byKey.createJob({ modelId: model.id, preset: "analyze" });
    expect(job.state).toBe("queued");

    const listed = await byKey.listApiKeys();
    expect(listed).toHaveLength(1);
    expect(listed[0]!.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(created.key);
  });

  test("a key cannot manage keys or members, or switch workspaces (session only: 403)", async () => {
    const alice = await signUpUser(env, "keys-scope");
    const { key } = await alice.client.createApiKey("k");
    const byKey = createCondenseClient({ baseUrl: env.url, apiKey: key });
    for (const call of [
      () => byKey.createApiKey("more"),
      () => byKey.api.members.invite.mutate({ email: "x@example.com" }),
      () => byKey.api.workspaces.list.query(),
      () => byKey.api.auth.signOut.mutate(),
    ]) {
      const err = await catchError(call);
      expect(err.data?.httpStatus).toBe(403);
      expect(err.message).toContain("needs a signed-in session, not an API key");
    }
  });

  test("revoked → 401 on the very next request; malformed and checksum-broken keys → 401", async () => {
    const alice = await signUpUser(env, "keys-revoke");
    const { key, apiKey } = await alice.client.createApiKey("to revoke");
    const byKey = createCondenseClient({ baseUrl: env.url, apiKey: key });
    await byKey.api.models.list.query();
    const revoked = await alice.client.revokeApiKey(apiKey.id);
    expect(revoked.revokedAt).not.toBeNull();
    const err = await catchError(() => byKey.api.models.list.query());
    expect(err.data?.httpStatus).toBe(401);
    expect(err.message).toContain("API key was revoked");

    const flipped = key.slice(0, 12) + (key[12] === "a" ? "b" : "a") + key.slice(13);
    for (const bad of [flipped, "cnd_live_nope", `${key}x`]) {
      const e = await catchError(() => createCondenseClient({ baseUrl: env.url, apiKey: bad }).api.models.list.query());
      expect(e.data?.httpStatus).toBe(401);
    }
  });

  test("a key from workspace A cannot read, list, cancel or download anything of workspace B", async () => {
    const a = await signUpUser(env, "keys-a");
    const b = await signUpUser(env, "keys-b");
    const keyA = createCondenseClient({ baseUrl: env.url, apiKey: (await a.client.createApiKey("a")).key });
    const modelB = await addReadyModel(b.workspaceId);
    const jobB = await b.client.createJob({ modelId: modelB.id, preset: "analyze" });
    const { endpoint: hookB } = await b.client.api.webhooks.create.mutate({ url: "https://hooks.example.com/b" });
    const { apiKey: keyOfB } = await b.client.createApiKey("b");

    for (const call of [
      () => keyA.api.jobs.get.query({ jobId: jobB.id }),
      () => keyA.api.jobs.cancel.mutate({ jobId: jobB.id }),
      () => keyA.api.models.get.query({ modelId: modelB.id }),
      () => keyA.createJob({ modelId: modelB.id, preset: "analyze" }),
      () => keyA.api.jobs.getArtifactUrl.query({ jobId: jobB.id, name: "report.json" }),
      () => keyA.api.webhooks.get.query({ endpointId: hookB.id }),
      () => keyA.api.webhooks.sendTest.mutate({ endpointId: hookB.id }),
    ]) {
      expect((await catchError(call)).data?.httpStatus).toBe(404);
    }
    expect((await keyA.api.jobs.list.query()).items).toEqual([]);
    expect(await keyA.listWebhooks()).toEqual([]);
    expect((await keyA.listApiKeys()).map((k) => k.id)).not.toContain(keyOfB.id);
    expect((await b.client.getJob(jobB.id)).state).toBe("queued");
  });
});

describe("members and workspaces", () => {
  test("invite by email → link → accept (right email only) → switch workspace → removal revokes sessions and keys at once", async () => {
    const owner = await signUpUser(env, "team-owner");
    const invitee = await signUpUser(env, "team-invitee");
    const stranger = await signUpUser(env, "team-stranger");

    const invite = await owner.client.api.members.invite.mutate({ email: invitee.email.toUpperCase() });
    expect(invite.invitation).toMatchObject({ email: invitee.email, role: "member" });
    expect(invite.inviteUrl).toBe(`${env.url}/invite/${invite.token}`);
    expect((await owner.client.api.members.invitations.query()).items.map((i) => i.id)).toEqual([invite.invitation.id]);

    const wrong = await catchError(() => stranger.client.api.members.acceptInvitation.mutate({ token: invite.token }));
    expect(wrong.data?.httpStatus).toBe(403);
    expect(wrong.message).toContain(`this invitation is for ${invitee.email}`);

    const joined = await invitee.client.api.members.acceptInvitation.mutate({ token: invite.token });
    expect(joined).toMatchObject({ workspace: { id: owner.workspaceId }, role: "member" });
    const reused = await catchError(() => invitee.client.api.members.acceptInvitation.mutate({ token: invite.token }));
    expect(reused.data?.httpStatus).toBe(404);

    const workspaces = (await invitee.client.api.workspaces.list.query()).items;
    expect(workspaces.map((w) => [w.id, w.role, w.current])).toEqual([
      [invitee.workspaceId, "owner", true],
      [owner.workspaceId, "member", false],
    ]);
    const switched = await invitee.client.api.auth.switchWorkspace.mutate({ workspaceId: owner.workspaceId });
    expect(switched.workspace).toMatchObject({ id: owner.workspaceId, role: "member" });
    expect((await invitee.client.api.auth.me.query()).workspace.id).toBe(owner.workspaceId);
    // A member (not owner) of this workspace cannot invite or remove others.
    const notOwner = await catchError(() => invitee.client.api.members.invite.mutate({ email: "z@example.com" }));
    expect(notOwner.data?.httpStatus).toBe(403);
    expect(notOwner.message).toBe("only workspace owners can invite members");
    const notMine = await catchError(() => invitee.client.api.auth.switchWorkspace.mutate({ workspaceId: stranger.workspaceId }));
    expect(notMine.data?.httpStatus).toBe(404);

    const members = (await owner.client.api.members.list.query()).items;
    expect(members.map((m) => [m.email, m.role])).toEqual([
      [owner.email, "owner"],
      [invitee.email, "member"],
    ]);
    const inviteeKey = createCondenseClient({ baseUrl: env.url, apiKey: (await invitee.client.createApiKey("mine")).key });
    expect((await inviteeKey.api.auth.me.query()).workspace.id).toBe(owner.workspaceId);

    const lastOwner = await catchError(() => owner.client.api.members.remove.mutate({ userId: members[0]!.userId }));
    expect(lastOwner.message).toContain("the last owner cannot be removed");

    await owner.client.api.members.remove.mutate({ userId: members[1]!.userId });
    for (const client of [invitee.client, inviteeKey]) {
      expect((await catchError(() => client.api.models.list.query())).data?.httpStatus).toBe(401);
    }
    expect((await owner.client.api.members.list.query()).items).toHaveLength(1);
    // Their own workspace is untouched: signing in again works there.
    const again = createCondenseClient({ baseUrl: env.url });
    const session = await again.api.auth.signIn.mutate({ email: invitee.email, password: invitee.password });
    expect(session.workspace.id).toBe(invitee.workspaceId);
  });

  test("lists paginate with limit, cursor and hasMore", async () => {
    const user = await signUpUser(env, "pages");
    for (let i = 0; i < 3; i++) await user.client.createApiKey(`k${i}`);
    const first = await user.client.api.keys.list.query({ limit: 2 });
    expect(first.items.map((k) => k.name)).toEqual(["k2", "k1"]);
    expect(first.hasMore).toBe(true);
    const second = await user.client.api.keys.list.query({ limit: 2, cursor: first.nextCursor });
    expect(second).toMatchObject({ hasMore: false, nextCursor: null });
    expect(second.items.map((k) => k.name)).toEqual(["k0"]);
  });
});

describe("OpenAPI", () => {
  test("/api/openapi.json describes every procedure with its zod-derived schemas and the tRPC convention", async () => {
    const res = await fetch(`${env.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, any>>; servers: { url: string }[] };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers[0]!.url).toBe(env.url);
    const create = doc.paths["/api/trpc/jobs.create"]!.post;
    expect(create.requestBody.content["application/json"].schema.required).toEqual(["modelId"]);
    expect(create.parameters.map((p: { name: string }) => p.name)).toContain("Idempotency-Key");
    const list = doc.paths["/api/trpc/jobs.list"]!.get;
    expect(list.parameters[0]).toMatchObject({ name: "input", in: "query" });
    expect(list.responses["200"].content["application/json"].schema.properties.result.properties.data.properties).toHaveProperty("hasMore");
    expect(doc.paths["/api/trpc/auth.signIn"]!.post.security).toEqual([]);
    expect(doc.paths["/api/trpc/keys.create"]!.post.description).toContain("session");
    expect(Object.keys(doc.paths).length).toBeGreaterThanOrEqual(35);
    // The document tells the truth about the wire format: call a query the way it says.
    const user = await signUpUser(env, "openapi");
    const raw = await fetch(`${env.url}/api/trpc/jobs.list?input=${encodeURIComponent(JSON.stringify({ limit: 1 }))}`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(await raw.json()).toEqual({ result: { data: { items: [], nextCursor: null, hasMore: false } } });
  });
});
