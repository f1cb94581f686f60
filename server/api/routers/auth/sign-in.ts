import { signIn } from "../../../services/auth/sign-in";
import { publicProcedure } from "../../trpc";
import { respondWithSession } from "./session-cookie";
import { ZSignInRequest, ZSignInResponse } from "./sign-in.types";

/** Signs in with email + password: sets the session cookie and returns the token for Bearer use. */
export const signInProcedure = publicProcedure
  .input(ZSignInRequest)
  .output(ZSignInResponse)
  .mutation(async ({ ctx, input }) => respondWithSession(ctx, await signIn(ctx.deps, input)));
