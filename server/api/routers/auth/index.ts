import { createTRPCRouter } from "../../trpc";
import { meProcedure } from "./me";
import { signInProcedure } from "./sign-in";
import { signOutProcedure } from "./sign-out";
import { signUpProcedure } from "./sign-up";
import { switchWorkspaceProcedure } from "./switch-workspace";

export const authRouter = createTRPCRouter({
  signUp: signUpProcedure,
  signIn: signInProcedure,
  signOut: signOutProcedure,
  me: meProcedure,
  switchWorkspace: switchWorkspaceProcedure,
});
