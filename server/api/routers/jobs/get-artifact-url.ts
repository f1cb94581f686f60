import { getArtifactUrl } from "../../../services/jobs/get-artifact-url";
import { protectedProcedure } from "../../trpc";
import { ZGetArtifactUrlRequest, ZGetArtifactUrlResponse } from "./get-artifact-url.types";

/** A short-lived download link for one artifact of a job in the workspace. */
export const getArtifactUrlProcedure = protectedProcedure
  .input(ZGetArtifactUrlRequest)
  .output(ZGetArtifactUrlResponse)
  .query(async ({ ctx, input }) => {
    const link = await getArtifactUrl(ctx.deps, ctx.caller, input);
    return { ...link, expiresAt: link.expiresAt.toISOString() };
  });
