import { signDatasetUploadParts } from "../../../services/datasets/sign-dataset-upload-parts";
import { protectedProcedure } from "../../trpc";
import { ZSignDatasetUploadPartsRequest, ZSignDatasetUploadPartsResponse } from "./sign-dataset-upload-parts.types";

/** Presigned PUT URLs for parts of a dataset upload in progress. */
export const signDatasetUploadPartsProcedure = protectedProcedure
  .input(ZSignDatasetUploadPartsRequest)
  .output(ZSignDatasetUploadPartsResponse)
  .mutation(async ({ ctx, input }) => {
    const signed = await signDatasetUploadParts(ctx.deps, ctx.caller, input);
    return { parts: signed.parts, expiresAt: signed.expiresAt.toISOString() };
  });
