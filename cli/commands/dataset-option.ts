import { stat } from "node:fs/promises";
import path from "node:path";
import type { TCondenseClient } from "../../client";
import type { TCliIo } from "../output";
import { formatBytes } from "../output";
import { createProgressBar } from "../progress-bar";

/**
 * Resolves a `--calib` / `--eval` value: an existing file is uploaded as a dataset first (with progress on stderr),
 * anything else is taken as the id of a dataset already uploaded with `condense datasets upload`.
 */
export async function resolveDatasetOption(
  client: TCondenseClient,
  io: TCliIo,
  value: string | undefined,
  role: string,
): Promise<{ id: string; uploaded: boolean } | undefined> {
  if (value === undefined) return undefined;
  const file = path.resolve(io.cwd, value);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return { id: value, uploaded: false };
  const dataset = await uploadDatasetWithProgress(client, io, file, info.size);
  io.stderr.write(`${role} data: dataset ${dataset.id} "${dataset.name}" (${dataset.summary?.sampleCount ?? "?"} samples)\n`);
  return { id: dataset.id, uploaded: true };
}

export type TJobDatasetIds = { calibrationDatasetId?: string; evaluationDatasetId?: string };

/**
 * Resolves `--calib` / `--eval`, then runs `create` with the dataset ids. When `create` fails (e.g. the data does
 * not fit the model), datasets this command uploaded are deleted again: a refused job leaves nothing behind.
 */
export async function createWithJobDatasets<T>(
  client: TCondenseClient,
  io: TCliIo,
  options: { calib?: string; eval?: string },
  create: (data: TJobDatasetIds) => Promise<T>,
): Promise<T> {
  const uploaded: string[] = [];
  try {
    const calibration = await resolveDatasetOption(client, io, options.calib, "calibration");
    if (calibration?.uploaded) uploaded.push(calibration.id);
    const evaluation = await resolveDatasetOption(client, io, options.eval, "evaluation");
    if (evaluation?.uploaded) uploaded.push(evaluation.id);
    return await create({
      ...(calibration ? { calibrationDatasetId: calibration.id } : {}),
      ...(evaluation ? { evaluationDatasetId: evaluation.id } : {}),
    });
  } catch (err) {
    for (const id of uploaded) {
      const removed = await client.api.datasets.delete.mutate({ datasetId: id }).then(() => true, () => false);
      if (removed) io.stderr.write(`removed dataset ${id}: it was uploaded for this job, which was not created\n`);
    }
    throw err;
  }
}

/** Uploads a dataset file with a progress bar on stderr; resolves to the ready dataset. */
export async function uploadDatasetWithProgress(client: TCondenseClient, io: TCliIo, file: string, sizeBytes: number) {
  const bar = createProgressBar({ label: `upload ${path.basename(file)}`, totalBytes: sizeBytes, stream: io.stderr });
  let validating = false;
  try {
    return await client.uploadDataset(file, {
      signal: io.signal,
      onProgress: ({ sentBytes, totalBytes }) => {
        bar.update(sentBytes);
        if (sentBytes >= totalBytes && !validating) {
          validating = true;
          bar.finish();
          io.stderr.write(`validating ${formatBytes(totalBytes)} of data on the server (layout, tensors, samples)…\n`);
        }
      },
    });
  } finally {
    bar.stop();
  }
}
