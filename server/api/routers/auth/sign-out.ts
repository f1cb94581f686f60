import { buildClearedSessionCookie } from "../../../auth/session-token";
import { signOut } from "../../../services/auth/sign-out";
import { sessionProcedure } from "../../trpc";
import { ZSignOutResponse } from "./sign-out.types";

/** Ends the current session: its token stops working everywhere, and the cookie is cleared. API keys are revoked with keys.revoke. */
export const signOutProcedure = sessionProcedure.output(ZSignOutResponse).mutation(async ({ ctx }) => {
  await signOut(ctx.deps, ctx.session.sessionId);
  ctx.resHeaders.append("set-cookie", buildClearedSessionCookie(ctx.secure));
  return { ok: true as const };
});
