import { describe, expect, test } from "vitest";
import { buildSessionCookie, createSessionToken, hashToken, isSecureRequest, readCookie } from "./session-token";
import { readCredential } from "./resolve-caller";

describe("session tokens and cookies", () => {
  test("tokens are 32 random bytes; only a SHA-256 hex of them is stored", () => {
    const a = createSessionToken();
    expect(Buffer.from(a, "base64url")).toHaveLength(32);
    expect(createSessionToken()).not.toBe(a);
    expect(hashToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(a)).toBe(hashToken(a));
  });

  test("the cookie is httpOnly, Lax, path /, Secure only when asked", () => {
    const expiresAt = new Date(Date.now() + 3600_000);
    const plain = buildSessionCookie("tok", { expiresAt, secure: false });
    expect(plain).toMatch(/^condense_session=tok; Path=\/; HttpOnly; SameSite=Lax; Max-Age=(3599|3600); Expires=/);
    expect(plain).not.toContain("Secure");
    expect(buildSessionCookie("tok", { expiresAt, secure: true })).toMatch(/; Secure$/);
  });

  test("credentials: Bearer wins over the cookie; cookies are parsed among others", () => {
    expect(readCookie("a=1; condense_session=xyz; b=2", "condense_session")).toBe("xyz");
    expect(readCookie("condense_session=", "condense_session")).toBeUndefined();
    const both = new Headers({ authorization: "Bearer from-header", cookie: "condense_session=from-cookie" });
    expect(readCredential(both)).toBe("from-header");
    expect(readCredential(new Headers({ cookie: "condense_session=from-cookie" }))).toBe("from-cookie");
    expect(readCredential(new Headers({ authorization: "Basic abc" }))).toBeUndefined();
  });

  test("https is detected directly or through a proxy header", () => {
    expect(isSecureRequest({ url: "https://x/api", headers: new Headers() })).toBe(true);
    expect(isSecureRequest({ url: "http://x/api", headers: new Headers({ "x-forwarded-proto": "https" }) })).toBe(true);
    expect(isSecureRequest({ url: "http://x/api", headers: new Headers() })).toBe(false);
  });
});
