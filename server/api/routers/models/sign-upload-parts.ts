import { signUploadParts } from "../../../services/models/sign-upload-parts";
import { protectedProcedure } from "../../trpc";
import { ZSignUploadPartsRequest, ZSignUploadPartsResponse } from "./sign-upload-parts.types";

/** Presigned PUT URLs for parts of an upload in progress. */
export const signUploadPartsProcedure = protectedProcedure
  .input(ZSignUploadPartsRequest)
  .output(ZSignUploadPartsResponse)
  .mutation(async ({ ctx, input }) => {
    const signed = await signUploadParts(ctx.deps, ctx.caller, input);
    return { parts: signed.parts, expiresAt: signed.expiresAt.toISOString() };
  });
