import { createTRPCRouter } from "../../trpc";
import { listPresetsProcedure } from "./list-presets";

export const presetsRouter = createTRPCRouter({ list: listPresetsProcedure });
