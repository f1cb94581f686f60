import { z } from "zod";
import { ZWebhookEventType } from "../../../webhooks/webhook-events";
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
  /**
   * A webhook for this job only (like Replicate's `webhook`): the URL gets the chosen events, signed with the
   * workspace secret (webhooks.signingSecret). Events default to job.started/succeeded/failed/canceled.
   */
  webhook: z.object({ url: z.string().trim().min(1).max(2048), events: z.array(ZWebhookEventType).min(1).max(10).optional() }).optional(),
  /** A ready dataset of the workspace (datasets.*) to calibrate on; inputs generated from the signature when absent. */
  calibrationDatasetId: z.string().min(1).optional(),
  /** A ready dataset to measure fidelity (and accuracy, with labels) on; generated inputs when absent. */
  evaluationDatasetId: z.string().min(1).optional(),
});

/** The `Idempotency-Key` request header of jobs.create: printable ASCII, 1–255 characters. */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const ZIdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, "Idempotency-Key must be 1-255 printable ASCII characters without spaces");
export type TCreateJobRequest = z.infer<typeof ZCreateJobRequest>;

export const ZCreateJobResponse = ZJobDto;
export type TCreateJobResponse = z.infer<typeof ZCreateJobResponse>;
