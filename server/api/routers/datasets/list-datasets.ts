import { listDatasets } from "../../../services/datasets/list-datasets";
import { protectedProcedure } from "../../trpc";
import { toDatasetDto } from "./dataset.dto";
import { ZListDatasetsRequest, ZListDatasetsResponse } from "./list-datasets.types";

/** The workspace's datasets, newest first (optionally only one state, e.g. "ready"). */
export const listDatasetsProcedure = protectedProcedure
  .input(ZListDatasetsRequest)
  .output(ZListDatasetsResponse)
  .query(async ({ ctx, input }) => {
    const page = await listDatasets(ctx.deps, ctx.caller, input);
    return { ...page, items: page.items.map(toDatasetDto) };
  });
