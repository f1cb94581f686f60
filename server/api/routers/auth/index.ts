import { createTRPCRouter } from "../../trpc";
import { meProcedure } from "./me";
import { signInProcedure } from "./sign-in";
import { signOutProcedure } from "./sign-out";
import { signUpProcedure } from "./sign-up";

export const authRouter = createTRPCRouter({
  signUp: signUpProcedure,
  signIn: signInProcedure,
  signOut: signOutProcedure,
  me: meProcedure,
});
