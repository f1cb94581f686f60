import { createHash, randomBytes } from "node:crypto";

/** Name of the httpOnly cookie that carries the session token in browsers. */
export const SESSION_COOKIE_NAME = "condense_session";

/** A new random session token (32 bytes, base64url). Only its hash is ever stored. */
export function createSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

/** SHA-256 (hex) of a token, the value kept in Session.tokenHash. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * The Set-Cookie value for a session. httpOnly so scripts cannot read it, SameSite=Lax so it is not sent on
 * cross-site POSTs (the tRPC mutations), Secure when the request came over https.
 */
export function buildSessionCookie(token: string, opts: { expiresAt: Date; secure: boolean }): string {
  const maxAgeSeconds = Math.max(0, Math.floor((opts.expiresAt.getTime() - Date.now()) / 1000));
  const parts = [
    `${SESSION_COOKIE_NAME}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${maxAgeSeconds}`,
    `Expires=${opts.expiresAt.toUTCString()}`,
  ];
  if (opts.secure) parts.push("Secure");
  return parts.join("; ");
}

/** The Set-Cookie value that removes the session cookie. */
export function buildClearedSessionCookie(secure: boolean): string {
  const parts = [`${SESSION_COOKIE_NAME}=`, "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=0", "Expires=Thu, 01 Jan 1970 00:00:00 GMT"];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

/** Reads one cookie from a Cookie header. */
export function readCookie(cookieHeader: string | null | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value === "" ? undefined : decodeURIComponent(value);
    }
  }
  return undefined;
}

/** True when the request reached us over https (directly or via a proxy that says so). */
export function isSecureRequest(req: { url: string; headers: Headers }): boolean {
  const forwarded = req.headers.get("x-forwarded-proto");
  if (forwarded) return forwarded.split(",")[0]!.trim() === "https";
  try {
    return new URL(req.url).protocol === "https:";
  } catch {
    return false;
  }
}
