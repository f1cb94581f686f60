import { AppError } from "../../../contracts/app-error";
import { MIN_PASSWORD_LENGTH, hashPassword } from "../../auth/password";
import type { TServiceDeps } from "../service-deps";
import { createSession, type TCreatedSession } from "./create-session";

/** Normalizes an email for lookups: accounts are unique case-insensitively. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Creates a user with a personal workspace (the user owns it) and signs them in.
 * A taken email is a CONFLICT: sign-up is the one place where revealing it is unavoidable.
 */
export async function signUp(
  deps: Pick<TServiceDeps, "prisma" | "config">,
  input: { email: string; password: string },
): Promise<TCreatedSession> {
  const email = normalizeEmail(input.email);
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError("BAD_INPUT", { userMessage: `password must be at least ${MIN_PASSWORD_LENGTH} characters` });
  }
  const passwordHash = await hashPassword(input.password);
  const existing = await deps.prisma.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) {
    throw new AppError("CONFLICT", { userMessage: "an account with this email already exists: sign in instead" });
  }
  let created: { userId: string; workspaceId: string };
  try {
    created = await deps.prisma.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email, passwordHash } });
      const workspace = await tx.workspace.create({ data: { name: `${email.split("@")[0]}'s workspace` } });
      await tx.membership.create({ data: { userId: user.id, workspaceId: workspace.id, role: "owner" } });
      return { userId: user.id, workspaceId: workspace.id };
    });
  } catch (err) {
    // Two sign-ups racing for one email: the unique index decides.
    if ((err as { code?: string }).code === "P2002") {
      throw new AppError("CONFLICT", { userMessage: "an account with this email already exists: sign in instead", cause: err });
    }
    throw err;
  }
  return createSession(deps, created);
}
