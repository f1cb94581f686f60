import { createDatasetUpload } from "../../../services/datasets/create-dataset-upload";
import { protectedProcedure } from "../../trpc";
import { ZCreateDatasetUploadRequest, ZCreateDatasetUploadResponse } from "./create-dataset-upload.types";

/** Starts a dataset upload: checks file type and size limit, creates the dataset (uploading) and a multipart upload. */
export const createDatasetUploadProcedure = protectedProcedure
  .input(ZCreateDatasetUploadRequest)
  .output(ZCreateDatasetUploadResponse)
  .mutation(async ({ ctx, input }) => {
    const upload = await createDatasetUpload(ctx.deps, ctx.caller, input);
    return { datasetId: upload.dataset.id, uploadId: upload.uploadId, partBytes: upload.partBytes, partCount: upload.partCount };
  });
