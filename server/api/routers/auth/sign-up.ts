import { signUp } from "../../../services/auth/sign-up";
import { publicProcedure } from "../../trpc";
import { respondWithSession } from "./session-cookie";
import { ZSignUpRequest, ZSignUpResponse } from "./sign-up.types";

/** Creates an account with a personal workspace and signs it in (sets the session cookie). */
export const signUpProcedure = publicProcedure
  .input(ZSignUpRequest)
  .output(ZSignUpResponse)
  .mutation(async ({ ctx, input }) => respondWithSession(ctx, await signUp(ctx.deps, input)));
