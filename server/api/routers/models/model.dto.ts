import { z } from "zod";
import { ZModelState } from "../../../../contracts/job-state";
import { ZTensorInfo } from "../../../../contracts/report";
import type { Model } from "../../../../generated/prisma/client";

/** Header facts found when the upload was validated (worker/onnx TOnnxSummary). */
export const ZModelSummary = z.object({
  irVersion: z.number(),
  producerName: z.string(),
  producerVersion: z.string(),
  opsets: z.array(z.object({ domain: z.string(), version: z.number() })),
  graphName: z.string(),
  /** Inputs a caller must feed (initializers excluded). */
  inputs: z.array(ZTensorInfo),
  outputs: z.array(ZTensorInfo),
  nodeCount: z.number(),
  initializerCount: z.number(),
});
export type TModelSummary = z.infer<typeof ZModelSummary>;

/** A model as the API returns it: sizes as numbers, timestamps as ISO strings, no storage key. */
export const ZModelDto = z.object({
  id: z.string(),
  name: z.string(),
  state: ZModelState,
  sizeBytes: z.number(),
  /** Hex SHA-256 of the stored bytes, once ready. */
  sha256: z.string().nullable(),
  /** User-readable reason when state is "failed". */
  error: z.string().nullable(),
  /** Set once the model is ready. */
  summary: ZModelSummary.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type TModelDto = z.infer<typeof ZModelDto>;

/** Maps a Model row to its DTO (BigInt size becomes a number: models are far below 2^53 bytes). */
export function toModelDto(model: Model): TModelDto {
  return {
    id: model.id,
    name: model.name,
    state: ZModelState.parse(model.state),
    sizeBytes: Number(model.sizeBytes),
    sha256: model.sha256,
    error: model.error,
    summary: model.summary ? ZModelSummary.parse(model.summary) : null,
    createdAt: model.createdAt.toISOString(),
    updatedAt: model.updatedAt.toISOString(),
  };
}
