import { z } from "zod";
import { createPageSchema, ZListRequest } from "../pagination.types";
import { ZApiKeyDto } from "./api-key.dto";

export const ZListApiKeysRequest = ZListRequest.default({ limit: 20 });
export type TListApiKeysRequest = z.input<typeof ZListApiKeysRequest>;

export const ZListApiKeysResponse = createPageSchema(ZApiKeyDto);
export type TListApiKeysResponse = z.infer<typeof ZListApiKeysResponse>;
