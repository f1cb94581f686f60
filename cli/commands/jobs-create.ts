import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { CliUsageError } from "../errors";
import { describeUnsuccessfulJob, followJob, formatJobSucceeded } from "../job-view";
import { printJson } from "../output";
import { resolvePipelineOption } from "../pipeline-option";
import { connectToServer } from "../session";
import { createWithJobDatasets } from "./dataset-option";
import { parseWebhookEventsOption, WEBHOOK_EVENTS_HELP } from "./webhooks-events-option";

/** `condense jobs create`: queues a job for a ready model; with --wait follows it to the end. */
export const command = defineCommand({
  description: [
    "Give exactly one of --preset (see `condense presets`) or --pipeline: inline JSON or @file.json, checked here",
    "before anything is sent. Prints the job id on stdout (the job with --json). With --wait it follows the job",
    "live and exits 1 if it failed or was canceled.",
    "With --idempotency-key, running the same command again (e.g. a retried CI step) returns the first job instead of",
    "queueing another; the same key with different options is refused. --webhook sends this job's events to a URL,",
    "signed with the workspace's signing secret (Standard Webhooks).",
  ].join("\n"),
  options: {
    model: { type: "string", valueName: "ID", description: "The model to compress (from `condense upload` / `models list`)" },
    preset: { type: "string", valueName: "NAME", description: "A named pipeline, e.g. analyze" },
    pipeline: { type: "string", valueName: "JSON|@FILE", description: "A pipeline spec as JSON text or @path/to/file.json" },
    wait: { type: "boolean", description: "Follow the job until it finishes" },
    "idempotency-key": { type: "string", valueName: "KEY", description: "Retry-safe creation: the same KEY returns the same job (1-255 printable ASCII)" },
    webhook: { type: "string", valueName: "URL", description: "Send this job's events to URL (per-job webhook)" },
    calib: { type: "string", valueName: "DATASET_ID|FILE", description: "Calibration data: a dataset id, or a file to upload first (.npy/.npz/.pb/.zip/.tar)" },
    eval: { type: "string", valueName: "DATASET_ID|FILE", description: "Evaluation data for fidelity/accuracy: a dataset id or a file to upload first" },
    "webhook-events": { type: "string", valueName: "EVENTS", description: `With --webhook, send these ${WEBHOOK_EVENTS_HELP}` },
    ...JSON_OPTION,
    ...URL_OPTION,
  },
  examples: [
    "condense jobs create --model MODEL_ID --preset analyze --wait",
    `condense jobs create --model MODEL_ID --pipeline '{"steps":[{"pass":"analyze","options":{"latencyRuns":50}}]}'`,
    "condense jobs create --model MODEL_ID --pipeline @pipeline.json",
    "condense jobs create --model MODEL_ID --preset int8-static --calib calib.npz --eval DATASET_ID --wait",
    'condense jobs create --model MODEL_ID --preset analyze --idempotency-key "ci-$GITHUB_RUN_ID"',
    "condense jobs create --model MODEL_ID --preset analyze --webhook https://ci.example.com/hook --webhook-events job.succeeded,job.failed",
  ],
  async run({ options, io }) {
    if (!options.model) throw new CliUsageError("missing --model ID");
    // Validated before connecting: a typo costs no request and no job.
    const choice = await resolvePipelineOption({ pipeline: options.pipeline, preset: options.preset, cwd: io.cwd });
    const webhookEvents = parseWebhookEventsOption(options["webhook-events"], "--webhook-events");
    if (webhookEvents && !options.webhook) throw new CliUsageError("--webhook-events needs --webhook URL");
    const idempotencyKey = options["idempotency-key"];
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      throw new CliUsageError("--idempotency-key must be 1-255 printable ASCII characters without spaces");
    }
    const { client } = await connectToServer(io, options.url);
    const webhook = options.webhook ? { webhook: { url: options.webhook, events: webhookEvents } } : {};
    const modelId = options.model;
    const created = await createWithJobDatasets(client, io, options, (data) =>
      client.createJob(
        choice.kind === "preset"
          ? { modelId, preset: choice.preset, ...webhook, ...data }
          : { modelId, pipeline: choice.pipeline, ...webhook, ...data },
        { idempotencyKey },
      ),
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
