import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { CliUsageError } from "../errors";
import { describeUnsuccessfulJob, followJob, formatJobSucceeded } from "../job-view";
import { printJson } from "../output";
import { resolvePipelineOption } from "../pipeline-option";
import { connectToServer } from "../session";

/** `condense jobs create`: queues a job for a ready model; with --wait follows it to the end. */
export const command = defineCommand({
  description: [
    "Give exactly one of --preset (see `condense presets`) or --pipeline: inline JSON or @file.json, checked here",
    "before anything is sent. Prints the job id on stdout (the job with --json). With --wait it follows the job",
    "live and exits 1 if it failed or was canceled.",
  ].join("\n"),
  options: {
    model: { type: "string", valueName: "ID", description: "The model to compress (from `condense upload` / `models list`)" },
    preset: { type: "string", valueName: "NAME", description: "A named pipeline, e.g. analyze" },
    pipeline: { type: "string", valueName: "JSON|@FILE", description: "A pipeline spec as JSON text or @path/to/file.json" },
    wait: { type: "boolean", description: "Follow the job until it finishes" },
    ...JSON_OPTION,
    ...URL_OPTION,
  },
  examples: [
    "condense jobs create --model MODEL_ID --preset analyze --wait",
    `condense jobs create --model MODEL_ID --pipeline '{"steps":[{"pass":"analyze","options":{"latencyRuns":50}}]}'`,
    "condense jobs create --model MODEL_ID --pipeline @pipeline.json",
  ],
  async run({ options, io }) {
    if (!options.model) throw new CliUsageError("missing --model ID");
    // Validated before connecting: a typo costs no request and no job.
    const choice = await resolvePipelineOption({ pipeline: options.pipeline, preset: options.preset, cwd: io.cwd });
    const { client } = await connectToServer(io, options.url);
    const created = await client.createJob(
      choice.kind === "preset" ? { modelId: options.model, preset: choice.preset } : { modelId: options.model, pipeline: choice.pipeline },
    );
    if (!options.wait) {
      if (options.json) printJson(io, created);
      else {
        io.stdout.write(`${created.id}\n`);
        io.stderr.write(`job ${created.id} queued; follow it with: condense jobs wait ${created.id}\n`);
      }
      return;
    }
    io.stderr.write(`job ${created.id} queued\n`);
    const job = await followJob(client, created.id, io);
    if (options.json) printJson(io, job);
    const failure = describeUnsuccessfulJob(job);
    if (failure) throw failure;
    if (!options.json) {
      io.stdout.write(`${job.id}\n`);
      io.stderr.write(formatJobSucceeded(job));
    }
  },
});
