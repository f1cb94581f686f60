import { z } from "zod";

export const ZSignOutResponse = z.object({ ok: z.literal(true) });
export type TSignOutResponse = z.infer<typeof ZSignOutResponse>;
