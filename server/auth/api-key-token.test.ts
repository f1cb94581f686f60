import { describe, expect, test } from "vitest";
import zlib from "node:zlib";
import { API_KEY_PREFIX, computeCrc32, createApiKeyToken, getApiKeyDisplayPrefix, isValidApiKey } from "./api-key-token";

describe("API key tokens", () => {
  test("have the cnd_live_<32>_<6> shape, are unique and pass their own checksum", () => {
    const keys = new Set(Array.from({ length: 200 }, () => createApiKeyToken()));
    expect(keys.size).toBe(200);
    for (const key of keys) {
      expect(key).toMatch(/^cnd_live_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/);
      expect(isValidApiKey(key)).toBe(true);
    }
  });

  test("a single changed character fails the checksum (leak scanners can check offline)", () => {
    const key = createApiKeyToken();
    const i = API_KEY_PREFIX.length + 5;
    const flipped = key.slice(0, i) + (key[i] === "a" ? "b" : "a") + key.slice(i + 1);
    expect(isValidApiKey(flipped)).toBe(false);
    expect(isValidApiKey(key.slice(0, -1) + (key.endsWith("0") ? "1" : "0"))).toBe(false);
    expect(isValidApiKey(`${key}x`)).toBe(false);
    expect(isValidApiKey("cnd_live_short_abcdef")).toBe(false);
  });

  test("CRC32 matches zlib's (the published algorithm scanners reimplement)", () => {
    expect(computeCrc32("")).toBe(0);
    expect(computeCrc32("123456789")).toBe(0xcbf43926);
    // zlib.crc32 exists from Node 20.15.
    const zlibCrc32 = (zlib as unknown as { crc32?: (data: string) => number }).crc32;
    if (zlibCrc32) expect(computeCrc32("cnd_live_hello")).toBe(zlibCrc32("cnd_live_hello"));
  });

  test("display prefix shows 6 random characters only", () => {
    const key = createApiKeyToken();
    expect(getApiKeyDisplayPrefix(key)).toBe(key.slice(0, 15));
    expect(getApiKeyDisplayPrefix(key)).toMatch(/^cnd_live_[0-9A-Za-z]{6}$/);
  });
});
