import { AppError } from "../../../contracts/app-error";
import { presignGetUrl } from "../../storage/object-store";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

/** How long a download link works. */
export const ARTIFACT_URL_TTL_SECONDS = 900;

/** A presigned download URL for one published artifact of a job in the caller's workspace. */
export async function getArtifactUrl(
  deps: Pick<TServiceDeps, "prisma" | "store">,
  caller: TServiceCaller,
  input: { jobId: string; name: string },
): Promise<{ url: string; expiresAt: Date; name: string; sizeBytes: number; sha256: string; contentType: string }> {
  const artifact = await deps.prisma.artifact.findFirst({
    where: { jobId: input.jobId, name: input.name, workspaceId: caller.workspaceId },
  });
  if (!artifact) {
    throw new AppError("NOT_FOUND", { userMessage: `artifact "${input.name}" of job ${input.jobId} not found` });
  }
  const url = await presignGetUrl(deps.store, artifact.storageKey, artifact.name, ARTIFACT_URL_TTL_SECONDS);
  return {
    url,
    expiresAt: new Date(Date.now() + ARTIFACT_URL_TTL_SECONDS * 1000),
    name: artifact.name,
    sizeBytes: Number(artifact.sizeBytes),
    sha256: artifact.sha256,
    contentType: artifact.contentType,
  };
}
