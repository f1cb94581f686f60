import { createUpload } from "../../../services/models/create-upload";
import { protectedProcedure } from "../../trpc";
import { ZCreateUploadRequest, ZCreateUploadResponse } from "./create-upload.types";

/** Starts a model upload: checks the size limit, creates the model (uploading) and a multipart upload. */
export const createUploadProcedure = protectedProcedure
  .input(ZCreateUploadRequest)
  .output(ZCreateUploadResponse)
  .mutation(async ({ ctx, input }) => {
    const upload = await createUpload(ctx.deps, ctx.caller, input);
    return { modelId: upload.model.id, uploadId: upload.uploadId, partBytes: upload.partBytes, partCount: upload.partCount };
  });
