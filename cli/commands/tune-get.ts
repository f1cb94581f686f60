import { getTune } from "../../client/tune";
import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { printJson } from "../output";
import { connectToServer } from "../session";
import { formatTuneView } from "./tune";

/** `condense tune get TUNE_JOB_ID`: the trials so far, the Pareto front and the recommendation (live while running). */
export const command = defineCommand({
  description: "Shows a tune job's trials (state, floor metric, size, latency, flags), the recommended or closest trial and the explanation.",
  positionals: [{ name: "TUNE_JOB_ID" }],
  options: { ...JSON_OPTION, ...URL_OPTION },
  examples: ["condense tune get JOB_ID", "condense tune get JOB_ID --json | jq .report.recommendedJobId"],
  async run({ positionals, options, io }) {
    const { client } = await connectToServer(io, options.url);
    const view = await getTune(client.api, positionals[0]!);
    if (options.json) {
      printJson(io, view);
      return;
    }
    io.stdout.write(`tune job ${view.job.id}: ${view.job.state}${view.job.stage ? ` (${view.job.stage})` : ""}\n`);
    io.stdout.write(formatTuneView(view));
  },
});
