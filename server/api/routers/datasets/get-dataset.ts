import { findDatasetById } from "../../../services/datasets/find-dataset-by-id";
import { protectedProcedure } from "../../trpc";
import { toDatasetDto } from "./dataset.dto";
import { ZGetDatasetRequest, ZGetDatasetResponse } from "./get-dataset.types";

/** One dataset of the workspace; NOT_FOUND for other workspaces' ids. */
export const getDatasetProcedure = protectedProcedure
  .input(ZGetDatasetRequest)
  .output(ZGetDatasetResponse)
  .query(async ({ ctx, input }) => toDatasetDto(await findDatasetById(ctx.deps, ctx.caller, input.datasetId)));
