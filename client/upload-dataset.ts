import type { TApi, TDataset } from "./index";
import { uploadMultipart, type TUploadOptions, type TUploadSource } from "./upload-model";

/**
 * Uploads calibration/evaluation data (.npy, .npz, .pb, or a .zip/.tar bundle of them) like a model: parallel,
 * retried multipart PUTs, then datasets.completeUpload, which parses the data. Resolves to the ready dataset.
 */
export async function uploadDataset(api: TApi, source: TUploadSource, opts: Omit<TUploadOptions, "resume"> = {}): Promise<TDataset> {
  return uploadMultipart<TDataset>(
    {
      create: async (input) => {
        const u = await api.datasets.createUpload.mutate(input);
        return { id: u.datasetId, partBytes: u.partBytes, partCount: u.partCount };
      },
      sign: (id, partNumbers) => api.datasets.signUploadParts.mutate({ datasetId: id, partNumbers }),
      complete: (id, parts) => api.datasets.completeUpload.mutate({ datasetId: id, parts }),
    },
    source,
    opts,
  );
}
