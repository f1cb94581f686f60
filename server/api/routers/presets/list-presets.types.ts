import { z } from "zod";

export const ZPresetDto = z.object({ name: z.string(), description: z.string(), pipeline: z.unknown() });
export const ZListPresetsResponse = z.array(ZPresetDto);
export type TListPresetsResponse = z.infer<typeof ZListPresetsResponse>;
