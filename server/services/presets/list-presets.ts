import { PRESETS, type TPreset } from "../../../contracts/pipeline";

/** Every preset, in the order contracts/pipeline.ts declares them. */
export function listPresets(): TPreset[] {
  return [...PRESETS.values()];
}
