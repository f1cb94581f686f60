import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliError, CliUsageError } from "./errors";
import { resolvePipelineOption } from "./pipeline-option";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "condense-pipe-"));
  await writeFile(path.join(dir, "ok.json"), '{"steps":[{"pass":"analyze","options":{"latencyRuns":5}}]}');
  await writeFile(path.join(dir, "broken.json"), '{"steps":[');
  await writeFile(path.join(dir, "empty.json"), "");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function reason(input: { pipeline?: string; preset?: string }): Promise<string> {
  try {
    await resolvePipelineOption({ ...input, cwd: dir });
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return (err as Error).message;
  }
  throw new Error("expected an error");
}

describe("resolvePipelineOption", () => {
  it("accepts inline JSON and @file, filling option defaults", async () => {
    const inline = await resolvePipelineOption({ pipeline: '{"steps":[{"pass":"analyze"}]}', cwd: dir });
    expect(inline).toEqual({ kind: "pipeline", pipeline: { steps: [{ pass: "analyze", options: { latencyRuns: 20, warmupRuns: 3, dynamicDimSize: 1 } }] } });
    const file = await resolvePipelineOption({ pipeline: "@ok.json", cwd: dir });
    expect(file.kind === "pipeline" && file.pipeline.steps[0].pass).toBe("analyze");
    expect(await resolvePipelineOption({ preset: "analyze", cwd: dir })).toEqual({ kind: "preset", preset: "analyze" });
  });

  it("names the source of malformed JSON and invalid specs", async () => {
    expect(await reason({ pipeline: "{steps" })).toMatch(/^--pipeline: pipeline is not valid JSON: /);
    expect(await reason({ pipeline: "@broken.json" })).toMatch(/^pipeline file broken\.json: pipeline is not valid JSON: /);
    expect(await reason({ pipeline: '{"steps":[]}' })).toBe("--pipeline: invalid pipeline: steps: a pipeline needs at least one step");
    expect(await reason({ pipeline: "@missing.json" })).toBe("cannot read pipeline file missing.json: no such file");
    expect(await reason({ pipeline: "@empty.json" })).toMatch(/^--pipeline is empty/);
    expect(await reason({ pipeline: "  " })).toMatch(/^--pipeline is empty/);
  });

  it("refuses unknown presets and both/neither choices", async () => {
    expect(await reason({ preset: "zip" })).toMatch(/^unknown preset "zip": choose one of analyze/);
    await expect(resolvePipelineOption({ cwd: dir })).rejects.toBeInstanceOf(CliUsageError);
    await expect(resolvePipelineOption({ preset: "analyze", pipeline: "{}", cwd: dir })).rejects.toBeInstanceOf(CliUsageError);
  });
});
