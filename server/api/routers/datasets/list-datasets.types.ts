import { z } from "zod";
import { ZModelState } from "../../../../contracts/job-state";
import { createPageSchema, ZListRequest } from "../pagination.types";
import { ZDatasetDto } from "./dataset.dto";

export const ZListDatasetsRequest = ZListRequest.extend({ state: ZModelState.optional() }).default({ limit: 20 });
export type TListDatasetsRequest = z.input<typeof ZListDatasetsRequest>;

export const ZListDatasetsResponse = createPageSchema(ZDatasetDto);
export type TListDatasetsResponse = z.infer<typeof ZListDatasetsResponse>;
