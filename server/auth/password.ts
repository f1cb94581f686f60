import { hash, verify } from "@node-rs/argon2";

/** Minimum password length; the sign-up schema and the service share it. */
export const MIN_PASSWORD_LENGTH = 8;

/** Hashes a password with argon2id (library defaults: 19 MiB, 2 passes, the OWASP baseline). */
export async function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** True when the password matches the stored argon2 hash; a malformed hash counts as a mismatch. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * A valid argon2 hash of a random password, verified against when the email is unknown so that
 * "no such user" and "wrong password" take the same time and cannot be told apart.
 */
let dummyHash: Promise<string> | undefined;
export function getDummyPasswordHash(): Promise<string> {
  dummyHash ??= hash(crypto.randomUUID());
  return dummyHash;
}
