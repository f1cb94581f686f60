import { listUploadParts } from "../../../services/models/list-upload-parts";
import { protectedProcedure } from "../../trpc";
import { ZListUploadPartsRequest, ZListUploadPartsResponse } from "./list-upload-parts.types";

/** Parts of an interrupted upload already in storage, so a client resumes by sending only the missing ones. */
export const listUploadPartsProcedure = protectedProcedure
  .input(ZListUploadPartsRequest)
  .output(ZListUploadPartsResponse)
  .query(async ({ ctx, input }) => ({ modelId: input.modelId, ...(await listUploadParts(ctx.deps, ctx.caller, input)) }));
