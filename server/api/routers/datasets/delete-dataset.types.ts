import { z } from "zod";
import { ZDatasetDto } from "./dataset.dto";

export const ZDeleteDatasetRequest = z.object({ datasetId: z.string().min(1) });
export type TDeleteDatasetRequest = z.infer<typeof ZDeleteDatasetRequest>;

/** The deleted dataset as it was. */
export const ZDeleteDatasetResponse = ZDatasetDto;
export type TDeleteDatasetResponse = z.infer<typeof ZDeleteDatasetResponse>;
