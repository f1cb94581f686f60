import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { formatJobDetails } from "../job-view";
import { printJson } from "../output";
import { connectToServer } from "../session";

/** `condense jobs get ID`: one job's state, stage, progress, timestamps, error and artifacts. */
export const command = defineCommand({
  positionals: [{ name: "ID" }],
  options: { ...JSON_OPTION, ...URL_OPTION },
  async run({ positionals, options, io }) {
    const { client } = await connectToServer(io, options.url);
    const job = await client.getJob(positionals[0]);
    if (options.json) printJson(io, job);
    else io.stdout.write(formatJobDetails(job));
  },
});
