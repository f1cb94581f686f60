import { AppError } from "../../../contracts/app-error";
import { getDummyPasswordHash, verifyPassword } from "../../auth/password";
import type { TServiceDeps } from "../service-deps";
import { createSession, type TCreatedSession } from "./create-session";
import { normalizeEmail } from "./sign-up";

/** One message for unknown email and wrong password, so sign-in cannot be used to probe for accounts. */
export const INVALID_CREDENTIALS_MESSAGE = "email or password is incorrect";

/** Checks the password and opens a session in the user's first (personal) workspace. */
export async function signIn(
  deps: Pick<TServiceDeps, "prisma" | "config">,
  input: { email: string; password: string },
): Promise<TCreatedSession> {
  const user = await deps.prisma.user.findUnique({
    where: { email: normalizeEmail(input.email) },
    select: { id: true, passwordHash: true, memberships: { select: { workspaceId: true }, orderBy: { createdAt: "asc" }, take: 1 } },
  });
  // Verify against a dummy hash for unknown emails: same work, same timing, same answer.
  const ok = await verifyPassword(user?.passwordHash ?? (await getDummyPasswordHash()), input.password);
  if (!user || !ok) throw new AppError("UNAUTHENTICATED", { userMessage: INVALID_CREDENTIALS_MESSAGE });
  const membership = user.memberships[0];
  if (!membership) {
    throw new AppError("FORBIDDEN", { userMessage: "your account has no workspace: ask an owner to invite you" });
  }
  return createSession(deps, { userId: user.id, workspaceId: membership.workspaceId });
}
