import { readFile } from "node:fs/promises";
import path from "node:path";
import { PRESETS, findPreset, parsePipelineJson, type TPipelineSpec } from "../contracts/pipeline";
import { CliError, CliUsageError } from "./errors";

export type TJobPipelineChoice = { kind: "pipeline"; pipeline: TPipelineSpec } | { kind: "preset"; preset: string };

/**
 * Turns `--pipeline JSON|@file.json` or `--preset NAME` into what `jobs create` sends, validating locally first:
 * malformed JSON, an invalid spec or an unknown preset is one clear line before any request leaves the machine.
 */
export async function resolvePipelineOption(input: { pipeline?: string; preset?: string; cwd: string }): Promise<TJobPipelineChoice> {
  const { pipeline, preset, cwd } = input;
  if ((pipeline === undefined) === (preset === undefined)) {
    throw new CliUsageError("give exactly one of --pipeline JSON or --preset NAME");
  }
  if (preset !== undefined) {
    if (!findPreset(preset)) {
      throw new CliError(`unknown preset "${preset}": choose one of ${[...PRESETS.keys()].join(", ")} (see \`condense presets\`)`);
    }
    return { kind: "preset", preset };
  }
  let text = pipeline!;
  let source = "--pipeline";
  if (text.startsWith("@")) {
    const file = path.resolve(cwd, text.slice(1));
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(`cannot read pipeline file ${text.slice(1)}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
    }
    source = text.length === 0 ? source : `pipeline file ${path.relative(cwd, file) || file}`;
  }
  if (text.trim() === "") throw new CliError(`${source} is empty: give a JSON pipeline such as {"steps":[{"pass":"analyze"}]}`);
  const parsed = parsePipelineJson(text);
  if (!parsed.ok) throw new CliError(`${source}: ${parsed.error}`);
  return { kind: "pipeline", pipeline: parsed.pipeline };
}
