import { completeUpload } from "../../../services/models/complete-upload";
import { protectedProcedure } from "../../trpc";
import { ZCompleteUploadRequest, ZCompleteUploadResponse } from "./complete-upload.types";
import { toModelDto } from "./model.dto";

/** Assembles the parts, verifies size, hashes and validates the model as ONNX. */
export const completeUploadProcedure = protectedProcedure
  .input(ZCompleteUploadRequest)
  .output(ZCompleteUploadResponse)
  .mutation(async ({ ctx, input }) => toModelDto(await completeUpload(ctx.deps, ctx.caller, input)));
