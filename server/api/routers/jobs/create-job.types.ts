import { z } from "zod";
import { ZJobDto } from "./job.dto";

export const ZCreateJobRequest = z.object({
  modelId: z.string().min(1),
  /**
   * A pipeline spec (contracts/pipeline.ts) as an object, or as JSON text (the CLI passes --pipeline verbatim).
   * Validated by the service so errors name the step and option.
   */
  pipeline: z.unknown().optional(),
  /** Name of a preset (presets.list). Exactly one of pipeline / preset. */
  preset: z.string().min(1).optional(),
});
export type TCreateJobRequest = z.infer<typeof ZCreateJobRequest>;

export const ZCreateJobResponse = ZJobDto;
export type TCreateJobResponse = z.infer<typeof ZCreateJobResponse>;
