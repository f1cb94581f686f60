import { z } from "zod";
import { createPageSchema, ZListRequest } from "../pagination.types";
import { ZModelDto } from "./model.dto";

export const ZListModelsRequest = ZListRequest.default({ limit: 20 });
export type TListModelsRequest = z.input<typeof ZListModelsRequest>;

export const ZListModelsResponse = createPageSchema(ZModelDto);
export type TListModelsResponse = z.infer<typeof ZListModelsResponse>;
