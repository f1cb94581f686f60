import { deleteDataset } from "../../../services/datasets/delete-dataset";
import { protectedProcedure } from "../../trpc";
import { toDatasetDto } from "./dataset.dto";
import { ZDeleteDatasetRequest, ZDeleteDatasetResponse } from "./delete-dataset.types";

/** Deletes a dataset and its bytes; CONFLICT while a queued or running job uses it. */
export const deleteDatasetProcedure = protectedProcedure
  .input(ZDeleteDatasetRequest)
  .output(ZDeleteDatasetResponse)
  .mutation(async ({ ctx, input }) => toDatasetDto(await deleteDataset(ctx.deps, ctx.caller, input.datasetId)));
