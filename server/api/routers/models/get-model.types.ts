import { z } from "zod";
import { ZModelDto } from "./model.dto";

export const ZGetModelRequest = z.object({ modelId: z.string().min(1) });
export type TGetModelRequest = z.infer<typeof ZGetModelRequest>;

export const ZGetModelResponse = ZModelDto;
export type TGetModelResponse = z.infer<typeof ZGetModelResponse>;
