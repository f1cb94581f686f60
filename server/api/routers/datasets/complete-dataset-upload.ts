import { completeDatasetUpload } from "../../../services/datasets/complete-dataset-upload";
import { protectedProcedure } from "../../trpc";
import { ZCompleteDatasetUploadRequest, ZCompleteDatasetUploadResponse } from "./complete-dataset-upload.types";
import { toDatasetDto } from "./dataset.dto";

/** Assembles the parts, verifies size, hashes, unpacks and parses the data into a summary. */
export const completeDatasetUploadProcedure = protectedProcedure
  .input(ZCompleteDatasetUploadRequest)
  .output(ZCompleteDatasetUploadResponse)
  .mutation(async ({ ctx, input }) => toDatasetDto(await completeDatasetUpload(ctx.deps, ctx.caller, input)));
