import { describe, expect, test } from "vitest";
import { assertDeliverableUrl, assertSavableUrl, createGuardedLookup, findForbiddenAddressReason } from "./ssrf-guard";

const strict = { allowLoopback: false };
const local = { allowLoopback: true };

describe("SSRF guard", () => {
  test("refuses metadata, private, loopback, link-local, ULA and mapped addresses", () => {
    for (const ip of ["169.254.169.254", "10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "0.0.0.0", "100.64.0.1", "::1", "fd00:ec2::254", "fe80::1", "::ffff:127.0.0.1", "::ffff:a9fe:a9fe", "64:ff9b::10.0.0.1", "::"]) {
      expect(findForbiddenAddressReason(ip, strict), ip).toBeDefined();
    }
    expect(findForbiddenAddressReason("169.254.169.254", strict)).toContain("link-local");
  });

  test("allows public addresses, and loopback only with the local setting", () => {
    for (const ip of ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"]) expect(findForbiddenAddressReason(ip, strict), ip).toBeUndefined();
    expect(findForbiddenAddressReason("127.0.0.1", local)).toBeUndefined();
    expect(findForbiddenAddressReason("::1", local)).toBeUndefined();
    // The local setting is about loopback only: private networks and metadata stay refused.
    expect(findForbiddenAddressReason("10.0.0.1", local)).toBeDefined();
    expect(findForbiddenAddressReason("169.254.169.254", local)).toBeDefined();
  });

  test("URL checks: scheme, credentials, literal addresses, localhost", () => {
    expect(() => assertDeliverableUrl("ftp://example.com/x", strict)).toThrow("must use http or https, not ftp");
    expect(() => assertDeliverableUrl("file:///etc/passwd", strict)).toThrow("must use http or https");
    expect(() => assertDeliverableUrl("https://u:p@example.com/", strict)).toThrow("user name or password");
    expect(() => assertDeliverableUrl("http://169.254.169.254/latest/meta-data", strict)).toThrow("169.254.169.254 is a private, link-local");
    expect(() => assertDeliverableUrl("http://[::1]:8080/", strict)).toThrow("::1 is a loopback address");
    expect(() => assertSavableUrl("http://localhost:3000/", strict)).toThrow("localhost is a loopback address");
    expect(assertSavableUrl("http://localhost:3000/", local).hostname).toBe("localhost");
    expect(() => assertDeliverableUrl("not a url", strict)).toThrow("not a valid URL");
    expect(assertDeliverableUrl("https://hooks.example.com/condense", strict).hostname).toBe("hooks.example.com");
    expect(assertDeliverableUrl("http://127.0.0.1:9/x", local).port).toBe("9");
  });

  test("connect-time lookup refuses a name that resolves to loopback", async () => {
    const lookup = createGuardedLookup(strict);
    const err = await new Promise<Error | null>((resolve) => lookup("localhost", {}, (e) => resolve(e)));
    expect(err?.message).toMatch(/webhook URL refused: localhost resolves to (127\.0\.0\.1|::1)/);
    const ok = await new Promise<string>((resolve, reject) => createGuardedLookup(local)("localhost", {}, (e, a) => (e ? reject(e) : resolve(a as string))));
    expect(["127.0.0.1", "::1"]).toContain(ok);
  });
});
