import { createTRPCRouter } from "../../trpc";
import { completeUploadProcedure } from "./complete-upload";
import { createUploadProcedure } from "./create-upload";
import { getModelProcedure } from "./get-model";
import { listModelsProcedure } from "./list-models";
import { listUploadPartsProcedure } from "./list-upload-parts";
import { signUploadPartsProcedure } from "./sign-upload-parts";

export const modelsRouter = createTRPCRouter({
  createUpload: createUploadProcedure,
  signUploadParts: signUploadPartsProcedure,
  completeUpload: completeUploadProcedure,
  listUploadParts: listUploadPartsProcedure,
  list: listModelsProcedure,
  get: getModelProcedure,
});
