import { z } from "zod";

export const ZGetArtifactUrlRequest = z.object({ jobId: z.string().min(1), name: z.string().min(1).max(255) });
export type TGetArtifactUrlRequest = z.infer<typeof ZGetArtifactUrlRequest>;

export const ZGetArtifactUrlResponse = z.object({
  /** Presigned GET; works without credentials until expiresAt. */
  url: z.string(),
  expiresAt: z.iso.datetime(),
  name: z.string(),
  sizeBytes: z.number(),
  sha256: z.string(),
  contentType: z.string(),
});
export type TGetArtifactUrlResponse = z.infer<typeof ZGetArtifactUrlResponse>;
