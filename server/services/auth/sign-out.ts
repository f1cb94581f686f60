import type { TServiceDeps } from "../service-deps";

/** Deletes a session so its token stops working at once (idempotent). */
export async function signOut(deps: Pick<TServiceDeps, "prisma">, sessionId: string): Promise<void> {
  await deps.prisma.session.deleteMany({ where: { id: sessionId } });
}
