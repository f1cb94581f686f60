import { z } from "zod";
import { ZEmail, ZSessionResponse } from "./auth.types";

// No length rule here: a short password is simply wrong, and saying so would hint at the policy per account.
export const ZSignInRequest = z.object({ email: ZEmail, password: z.string().min(1, "enter your password").max(1024) });
export type TSignInRequest = z.infer<typeof ZSignInRequest>;

export const ZSignInResponse = ZSessionResponse;
export type TSignInResponse = z.infer<typeof ZSignInResponse>;
