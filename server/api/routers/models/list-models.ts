import { listModels } from "../../../services/models/list-models";
import { protectedProcedure } from "../../trpc";
import { ZListModelsRequest, ZListModelsResponse } from "./list-models.types";
import { toModelDto } from "./model.dto";

/** The workspace's models, newest first. */
export const listModelsProcedure = protectedProcedure
  .input(ZListModelsRequest)
  .output(ZListModelsResponse)
  .query(async ({ ctx, input }) => {
    const page = await listModels(ctx.deps, ctx.caller, input);
    return { ...page, items: page.items.map(toModelDto) };
  });
