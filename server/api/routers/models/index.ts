import { createTRPCRouter } from "../../trpc";
import { completeUploadProcedure } from "./complete-upload";
import { createUploadProcedure } from "./create-upload";
import { getModelProcedure } from "./get-model";
import { listModelsProcedure } from "./list-models";
import { signUploadPartsProcedure } from "./sign-upload-parts";

export const modelsRouter = createTRPCRouter({
  createUpload: createUploadProcedure,
  signUploadParts: signUploadPartsProcedure,
  completeUpload: completeUploadProcedure,
  list: listModelsProcedure,
  get: getModelProcedure,
});
