import { z } from "zod";

/**
 * The pipeline language shared by API, worker, CLI and portal: an ordered list of passes with typed options.
 * Each pass has its own options schema; engine issues add passes to `ZPipelineStep` and presets to `PRESETS`.
 */

/** Parse the model and measure it: IR/opset, IO, op histogram, parameters by dtype, latency on generated inputs. */
export const ZAnalyzeStep = z.object({
  pass: z.literal("analyze"),
  options: z
    .object({
      /** Timed runs after warm-up for the latency percentiles. */
      latencyRuns: z.number().int().min(1).max(1000).default(20),
      /** Untimed runs first, so lazy allocations do not count. */
      warmupRuns: z.number().int().min(0).max(100).default(3),
      /** Value used for symbolic dimensions (batch, sequence) when generating inputs. */
      dynamicDimSize: z.number().int().min(1).max(4096).default(1),
    })
    .strict()
    .default({ latencyRuns: 20, warmupRuns: 3, dynamicDimSize: 1 }),
});

export const ZPipelineStep = z.discriminatedUnion("pass", [ZAnalyzeStep]);
export type TPipelineStep = z.infer<typeof ZPipelineStep>;
export type TPassName = TPipelineStep["pass"];

export const ZPipelineSpec = z
  .object({
    steps: z.array(ZPipelineStep).min(1, "a pipeline needs at least one step").max(16, "at most 16 steps"),
  })
  .strict();
export type TPipelineSpec = z.infer<typeof ZPipelineSpec>;

/** A named, documented pipeline users pick instead of writing one. */
export type TPreset = { name: string; description: string; pipeline: TPipelineSpec };

export const PRESETS: ReadonlyMap<string, TPreset> = new Map(
  (
    [
      {
        name: "analyze",
        description: "Inspect the model (opsets, IO, ops, parameters) and measure its CPU latency. Changes nothing.",
        pipeline: { steps: [{ pass: "analyze", options: { latencyRuns: 20, warmupRuns: 3, dynamicDimSize: 1 } }] },
      },
    ] satisfies TPreset[]
  ).map((p) => [p.name, p]),
);

/** Looks up a preset by name, or undefined. */
export function findPreset(name: string): TPreset | undefined {
  return PRESETS.get(name);
}

/**
 * Parses a pipeline from untrusted JSON text with errors that point at the step and option,
 * e.g. `steps[0].options.latencyRuns: Too big: expected number to be <=1000`.
 */
export function parsePipelineJson(text: string): { ok: true; pipeline: TPipelineSpec } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `pipeline is not valid JSON: ${(err as Error).message}` };
  }
  return validatePipeline(raw);
}

/** Validates an already-parsed pipeline value. */
export function validatePipeline(raw: unknown): { ok: true; pipeline: TPipelineSpec } | { ok: false; error: string } {
  const parsed = ZPipelineSpec.safeParse(raw);
  if (parsed.success) return { ok: true, pipeline: parsed.data };
  const lines = parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  return { ok: false, error: `invalid pipeline: ${lines.join("; ")}` };
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return "pipeline";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}
