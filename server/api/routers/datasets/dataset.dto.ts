import { z } from "zod";
import { ZModelState } from "../../../../contracts/job-state";
import type { Dataset } from "../../../../generated/prisma/client";
import { ZDatasetSummary } from "../../../../worker/data/dataset-files";

/** A dataset as the API returns it: sizes as numbers, timestamps as ISO strings, no storage key. */
export const ZDatasetDto = z.object({
  id: z.string(),
  name: z.string(),
  /** uploading | validating | ready | failed, like models. */
  state: ZModelState,
  sizeBytes: z.number(),
  sha256: z.string().nullable(),
  /** User-readable reason when state is "failed". */
  error: z.string().nullable(),
  /** Layout, tensors (name, dtype, shape), sample count and labels, once ready. */
  summary: ZDatasetSummary.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type TDatasetDto = z.infer<typeof ZDatasetDto>;

/** Maps a Dataset row to its DTO. */
export function toDatasetDto(dataset: Dataset): TDatasetDto {
  return {
    id: dataset.id,
    name: dataset.name,
    state: ZModelState.parse(dataset.state),
    sizeBytes: Number(dataset.sizeBytes),
    sha256: dataset.sha256,
    error: dataset.error,
    summary: dataset.summary ? ZDatasetSummary.parse(dataset.summary) : null,
    createdAt: dataset.createdAt.toISOString(),
    updatedAt: dataset.updatedAt.toISOString(),
  };
}
