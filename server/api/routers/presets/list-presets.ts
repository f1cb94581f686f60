import { listPresets } from "../../../services/presets/list-presets";
import { publicProcedure } from "../../trpc";
import { ZListPresetsResponse } from "./list-presets.types";

/** The named pipelines users can pick (public: the docs and sign-up page show them). */
export const listPresetsProcedure = publicProcedure.output(ZListPresetsResponse).query(() => listPresets());
