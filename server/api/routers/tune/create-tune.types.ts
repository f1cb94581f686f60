import { z } from "zod";
import { ZWebhookEventType } from "../../../webhooks/webhook-events";
import { ZJobDto } from "../jobs/job.dto";

export const ZCreateTuneRequest = z.object({
  modelId: z.string().min(1),
  /** contracts/tune.ts ZTuneGoal; validated by the service so errors name the field. */
  goal: z.unknown(),
  calibrationDatasetId: z.string().min(1).optional(),
  evaluationDatasetId: z.string().min(1).optional(),
  webhook: z.object({ url: z.string().trim().min(1).max(2048), events: z.array(ZWebhookEventType).min(1).max(10).optional() }).optional(),
});
export type TCreateTuneRequest = z.infer<typeof ZCreateTuneRequest>;

export const ZCreateTuneResponse = ZJobDto;
export type TCreateTuneResponse = z.infer<typeof ZCreateTuneResponse>;
