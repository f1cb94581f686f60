import { defineCommand, JSON_OPTION, LIST_OPTIONS, parseLimitOption, URL_OPTION } from "../command";
import { JOB_COLUMNS } from "../job-view";
import { formatTable, printJson } from "../output";
import { connectToServer } from "../session";

/** `condense jobs list`: recent jobs, newest first, optionally of one model. */
export const command = defineCommand({
  options: {
    model: { type: "string", valueName: "ID", description: "Only jobs of this model" },
    ...LIST_OPTIONS,
    ...JSON_OPTION,
    ...URL_OPTION,
  },
  async run({ options, io }) {
    const limit = parseLimitOption(options.limit);
    const { client } = await connectToServer(io, options.url);
    const page = await client.api.jobs.list.query({ limit, cursor: options.cursor, modelId: options.model });
    if (options.json) {
      printJson(io, page);
      return;
    }
    io.stdout.write(formatTable(page.items, JOB_COLUMNS));
    if (page.hasMore && page.nextCursor) {
      io.stderr.write(`more: condense jobs list --cursor ${page.nextCursor}${options.model ? ` --model ${options.model}` : ""}\n`);
    }
  },
});
