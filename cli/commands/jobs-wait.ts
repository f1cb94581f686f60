import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { describeUnsuccessfulJob, followJob, formatJobSucceeded } from "../job-view";
import { printJson } from "../output";
import { connectToServer } from "../session";

/** `condense jobs wait ID`: follows a job live until it finishes; exit 0 only when it succeeded. */
export const command = defineCommand({
  description: "Exit status: 0 succeeded, 1 failed or canceled, 130 when you stop waiting (the job keeps running).",
  positionals: [{ name: "ID" }],
  options: { ...JSON_OPTION, ...URL_OPTION },
  async run({ positionals, options, io }) {
    const { client } = await connectToServer(io, options.url);
    const job = await followJob(client, positionals[0], io);
    if (options.json) printJson(io, job);
    const failure = describeUnsuccessfulJob(job);
    if (failure) throw failure;
    if (!options.json) io.stderr.write(formatJobSucceeded(job));
  },
});
