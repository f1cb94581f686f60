import { getMe } from "../../../services/auth/get-me";
import { protectedProcedure } from "../../trpc";
import { ZMeResponse } from "./me.types";

/** The signed-in user and workspace; UNAUTHORIZED when not signed in or the session expired. */
export const meProcedure = protectedProcedure.output(ZMeResponse).query(async ({ ctx }) => getMe(ctx.deps, ctx.caller));
