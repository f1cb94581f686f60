import { findModelById } from "../../../services/models/find-model-by-id";
import { protectedProcedure } from "../../trpc";
import { ZGetModelRequest, ZGetModelResponse } from "./get-model.types";
import { toModelDto } from "./model.dto";

/** One model of the workspace; NOT_FOUND for other workspaces' ids. */
export const getModelProcedure = protectedProcedure
  .input(ZGetModelRequest)
  .output(ZGetModelResponse)
  .query(async ({ ctx, input }) => toModelDto(await findModelById(ctx.deps, ctx.caller, input.modelId)));
