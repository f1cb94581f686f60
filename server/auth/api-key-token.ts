import { randomBytes } from "node:crypto";

/**
 * API key format, modelled on GitHub's token format: `cnd_live_<32 base62 random>_<6 base62 CRC32>`.
 * The prefix makes keys greppable by secret scanners; the checksum lets a scanner (or our own auth) tell a real key
 * from a random string offline, without a database lookup. 32 base62 characters carry ~190 bits of entropy.
 */

/** Every Condense API key starts with this. */
export const API_KEY_PREFIX = "cnd_live_";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
/** Shape check only; `isValidApiKey` also verifies the checksum. */
const API_KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}([0-9A-Za-z]{${RANDOM_LENGTH}})_([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`);

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE, as zlib) of a string's UTF-8 bytes. */
export function computeCrc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, "utf8")) crc = CRC32_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A number as fixed-width base62 (left-padded with "0"). */
function encodeBase62(value: number, width: number): string {
  let out = "";
  let v = value;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, "0");
}

function createRandomBase62(length: number): string {
  // Rejection sampling keeps every character uniform (256 is not a multiple of 62).
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** The checksum part for a random part: CRC32 of `cnd_live_<random>` in 6 base62 characters. */
export function computeApiKeyChecksum(randomPart: string): string {
  return encodeBase62(computeCrc32(`${API_KEY_PREFIX}${randomPart}`), CHECKSUM_LENGTH);
}

/** A new API key. Shown to the user once; only `hashToken(key)` is stored. */
export function createApiKeyToken(): string {
  const random = createRandomBase62(RANDOM_LENGTH);
  return `${API_KEY_PREFIX}${random}_${computeApiKeyChecksum(random)}`;
}

/** True when the text has the API key shape and a matching checksum (no database needed). */
export function isValidApiKey(text: string): boolean {
  const match = API_KEY_PATTERN.exec(text);
  return !!match && computeApiKeyChecksum(match[1]!) === match[2];
}

/** True when a credential claims to be an API key (it may still be malformed or unknown). */
export function looksLikeApiKey(text: string): boolean {
  return text.startsWith("cnd_");
}

/** What lists show so users can tell keys apart: the prefix and the first 6 random characters. */
export function getApiKeyDisplayPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + 6);
}
