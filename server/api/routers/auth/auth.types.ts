import { z } from "zod";
import { MIN_PASSWORD_LENGTH } from "../../../auth/password";

export const ZEmail = z.string().trim().toLowerCase().pipe(z.email("enter a valid email address")).pipe(z.string().max(254));

export const ZUserDto = z.object({ id: z.string(), email: z.string() });
export const ZWorkspaceDto = z.object({ id: z.string(), name: z.string() });

/** What sign-up and sign-in return. `token` is also set as the httpOnly cookie; the CLI keeps it as a Bearer token. */
export const ZSessionResponse = z.object({
  token: z.string(),
  expiresAt: z.iso.datetime(),
  user: ZUserDto,
  workspace: ZWorkspaceDto,
});
export type TSessionResponse = z.infer<typeof ZSessionResponse>;

export const ZPassword = z.string().min(MIN_PASSWORD_LENGTH, `password must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024);
