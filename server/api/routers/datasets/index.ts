import { createTRPCRouter } from "../../trpc";
import { completeDatasetUploadProcedure } from "./complete-dataset-upload";
import { createDatasetUploadProcedure } from "./create-dataset-upload";
import { deleteDatasetProcedure } from "./delete-dataset";
import { getDatasetProcedure } from "./get-dataset";
import { listDatasetsProcedure } from "./list-datasets";
import { signDatasetUploadPartsProcedure } from "./sign-dataset-upload-parts";

/** Calibration / evaluation data: uploaded like models, validated into a summary, attached to jobs. */
export const datasetsRouter = createTRPCRouter({
  createUpload: createDatasetUploadProcedure,
  signUploadParts: signDatasetUploadPartsProcedure,
  completeUpload: completeDatasetUploadProcedure,
  list: listDatasetsProcedure,
  get: getDatasetProcedure,
  delete: deleteDatasetProcedure,
});
