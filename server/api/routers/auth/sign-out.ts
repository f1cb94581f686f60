import { buildClearedSessionCookie } from "../../../auth/session-token";
import { signOut } from "../../../services/auth/sign-out";
import { protectedProcedure } from "../../trpc";
import { ZSignOutResponse } from "./sign-out.types";

/** Ends the current session: its token stops working everywhere, and the cookie is cleared. */
export const signOutProcedure = protectedProcedure.output(ZSignOutResponse).mutation(async ({ ctx }) => {
  await signOut(ctx.deps, ctx.caller.credential.sessionId);
  ctx.resHeaders.append("set-cookie", buildClearedSessionCookie(ctx.secure));
  return { ok: true as const };
});
