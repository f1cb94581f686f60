import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCondenseClient, signIn } from "../../client";
import { catchError, signUpUser, startApiTestEnv, type TApiTestEnv } from "./api-kit";

let env: TApiTestEnv;
beforeAll(async () => {
  env = await startApiTestEnv("apiauth");
});
afterAll(async () => {
  await env?.stop();
});

async function postSignUp(email: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${env.url}/api/trpc/auth.signUp`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ email, password }),
  });
}

describe("sign up", () => {
  test("creates a user, a personal workspace owned by them, and an httpOnly Lax session cookie", async () => {
    const res = await postSignUp("Alice@Example.com", "s3cret-password");
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("condense_session="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const body = (await res.json()) as { result: { data: { token: string; user: { email: string }; workspace: { id: string } } } };
    expect(body.result.data.user.email).toBe("alice@example.com");
    expect(cookie.split(";")[0]).toBe(`condense_session=${body.result.data.token}`);

    const user = await env.prisma.user.findUniqueOrThrow({ where: { email: "alice@example.com" }, include: { memberships: true } });
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user.memberships).toEqual([expect.objectContaining({ workspaceId: body.result.data.workspace.id, role: "owner" })]);
    // Only the token's hash is stored.
    const sessions = await env.prisma.session.findMany({ where: { userId: user.id } });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.tokenHash).not.toContain(body.result.data.token);
    expect(sessions[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("the cookie is Secure when the request came over https", async () => {
    const res = await postSignUp("secure@example.com", "s3cret-password", { "x-forwarded-proto": "https" });
    expect(res.headers.getSetCookie().find((c) => c.startsWith("condense_session="))).toMatch(/; Secure/);
  });

  test("the session cookie alone authenticates (browser path)", async () => {
    const res = await postSignUp("cookie@example.com", "s3cret-password");
    const cookie = res.headers.getSetCookie()[0]!.split(";")[0]!;
    const me = await fetch(`${env.url}/api/trpc/auth.me`, { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { result: { data: { user: { email: string } } } }).result.data.user.email).toBe("cookie@example.com");
  });

  test("refuses short passwords and taken emails with a readable message", async () => {
    const anon = createCondenseClient({ baseUrl: env.url });
    const short = await catchError(() => anon.api.auth.signUp.mutate({ email: "short@example.com", password: "1234567" }));
    expect(short.message).toContain("password must be at least 8 characters");
    expect(short.data?.httpStatus).toBe(400);

    const { email } = await signUpUser(env, "dup");
    const dup = await catchError(() => anon.api.auth.signUp.mutate({ email: email.toUpperCase(), password: "another-password" }));
    expect(dup.message).toBe("an account with this email already exists: sign in instead");
    expect(dup.data?.httpStatus).toBe(409);
  });
});

describe("sign in / out", () => {
  test("sign in returns a token that works as a Bearer token", async () => {
    const { email, password, workspaceId } = await signUpUser(env, "bearer");
    const token = await signIn(env.url, email, password);
    const me = await createCondenseClient({ baseUrl: env.url, sessionToken: token }).api.auth.me.query();
    expect(me.user.email).toBe(email);
    expect(me.workspace).toMatchObject({ id: workspaceId, role: "owner" });
  });

  test("wrong password and unknown email get the same generic message", async () => {
    const { email } = await signUpUser(env, "wrongpw");
    const wrong = await catchError(() => signIn(env.url, email, "not-the-password"));
    const unknown = await catchError(() => signIn(env.url, "nobody@example.com", "not-the-password"));
    expect(wrong.message).toBe("email or password is incorrect");
    expect(unknown.message).toBe(wrong.message);
    expect(wrong.data?.httpStatus).toBe(401);
    expect(unknown.data?.httpStatus).toBe(401);
  });

  test("sign out revokes the token at once", async () => {
    const { client, email } = await signUpUser(env, "signout");
    await expect(client.api.auth.me.query()).resolves.toBeTruthy();
    await client.api.auth.signOut.mutate();
    const err = await catchError(() => client.api.auth.me.query());
    expect(err.data?.httpStatus).toBe(401);
    expect(err.message).toContain("not signed in");
    expect(await env.prisma.session.count({ where: { user: { email } } })).toBe(0);
  });

  test("an expired session is told to sign in again", async () => {
    const { client, email } = await signUpUser(env, "expired");
    await env.prisma.session.updateMany({ where: { user: { email } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const err = await catchError(() => client.api.models.list.query());
    expect(err.message).toBe("your session expired, sign in again");
    expect(err.data?.httpStatus).toBe(401);
    expect(err.data?.code).toBe("UNAUTHORIZED");
  });

  test("no credentials: protected procedures refuse, public ones answer", async () => {
    const anon = createCondenseClient({ baseUrl: env.url });
    const err = await catchError(() => anon.api.models.list.query());
    expect(err.data?.httpStatus).toBe(401);
    const presets = await anon.api.presets.list.query();
    expect(presets.map((p) => p.name)).toContain("analyze");
  });
});

test("a member removed from the workspace loses access at once", async () => {
  const { client, email, workspaceId } = await signUpUser(env, "removed");
  await expect(client.api.models.list.query()).resolves.toMatchObject({ items: [] });
  await env.prisma.membership.deleteMany({ where: { workspaceId, user: { email } } });
  const err = await catchError(() => client.api.models.list.query());
  expect(err.data?.httpStatus).toBe(401);
});
