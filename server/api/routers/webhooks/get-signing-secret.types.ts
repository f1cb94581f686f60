import { z } from "zod";
import { ZSecretResponse } from "./webhook.dto";

export const ZGetSigningSecretResponse = ZSecretResponse;
export type TGetSigningSecretResponse = z.infer<typeof ZGetSigningSecretResponse>;
