import { isTerminalJobState } from "../../contracts/job-state";
import { defineCommand, URL_OPTION } from "../command";
import { connectToServer } from "../session";

/** Pause between polls while following; log lines are flushed by the worker about twice a second. */
const FOLLOW_POLL_MS = 1000;

/** `condense jobs logs ID [--follow]`: the job's log lines (stage changes, data used, per-step results, errors). */
export const command = defineCommand({
  positionals: [{ name: "ID" }],
  options: {
    follow: { type: "boolean", short: "f", description: "Keep printing new lines until the job finishes" },
    ...URL_OPTION,
  },
  async run({ positionals, options, io }) {
    const { client } = await connectToServer(io, options.url);
    const jobId = positionals[0];
    let afterId: string | null = null;
    for (;;) {
      const page = await client.getJobLogs(jobId, afterId);
      for (const line of page.lines) {
        io.stdout.write(`${line.createdAt} ${line.level.padEnd(5)} #${line.attempt} ${line.message}\n`);
      }
      afterId = page.nextAfterId ?? afterId;
      if (page.lines.length > 0) continue; // drain everything already written before waiting
      if (!options.follow || isTerminalJobState(page.jobState)) return;
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    }
  },
});
