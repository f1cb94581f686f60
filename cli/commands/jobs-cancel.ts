import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { describeJobState } from "../job-view";
import { printJson } from "../output";
import { connectToServer } from "../session";

/** `condense jobs cancel ID`: cancels a queued or running job (a running worker stops within seconds). */
export const command = defineCommand({
  description: "A finished job cannot be canceled (exit 1 with the reason).",
  positionals: [{ name: "ID" }],
  options: { ...JSON_OPTION, ...URL_OPTION },
  async run({ positionals, options, io }) {
    const { client } = await connectToServer(io, options.url);
    const job = await client.cancelJob(positionals[0]);
    if (options.json) printJson(io, job);
    else io.stderr.write(`job ${job.id}: ${describeJobState(job)}\n`);
  },
});
