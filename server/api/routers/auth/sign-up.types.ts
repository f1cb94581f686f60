import { z } from "zod";
import { ZEmail, ZPassword, ZSessionResponse } from "./auth.types";

export const ZSignUpRequest = z.object({ email: ZEmail, password: ZPassword });
export type TSignUpRequest = z.infer<typeof ZSignUpRequest>;

export const ZSignUpResponse = ZSessionResponse;
export type TSignUpResponse = z.infer<typeof ZSignUpResponse>;
