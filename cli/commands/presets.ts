import { PRESETS } from "../../contracts/pipeline";
import { defineCommand, JSON_OPTION } from "../command";
import { formatTable, printJson } from "../output";

/** `condense presets`: the named pipelines, from the contracts this CLI was built with (no server needed). */
export const command = defineCommand({
  description: "Pass a preset's name to `condense jobs create --preset NAME`.",
  options: { ...JSON_OPTION },
  async run({ options, io }) {
    const presets = [...PRESETS.values()];
    if (options.json) {
      printJson(io, presets);
      return;
    }
    io.stdout.write(
      formatTable(presets, [
        { header: "NAME", value: (p) => p.name },
        { header: "PASSES", value: (p) => p.pipeline.steps.map((s) => s.pass).join(" → ") },
        { header: "DESCRIPTION", value: (p) => p.description },
      ]),
    );
  },
});
