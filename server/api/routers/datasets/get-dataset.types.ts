import { z } from "zod";
import { ZDatasetDto } from "./dataset.dto";

export const ZGetDatasetRequest = z.object({ datasetId: z.string().min(1) });
export type TGetDatasetRequest = z.infer<typeof ZGetDatasetRequest>;

export const ZGetDatasetResponse = ZDatasetDto;
export type TGetDatasetResponse = z.infer<typeof ZGetDatasetResponse>;
