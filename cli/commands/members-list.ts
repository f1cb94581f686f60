import { defineCommand, JSON_OPTION, LIST_OPTIONS, parseLimitOption, URL_OPTION } from "../command";
import { formatTable, formatTimestamp, printJson } from "../output";
import { connectToServer } from "../session";

/** `condense members list`: who belongs to the current workspace, with their roles. */
export const command = defineCommand({
  options: { ...LIST_OPTIONS, ...JSON_OPTION, ...URL_OPTION },
  async run({ options, io }) {
    const limit = parseLimitOption(options.limit);
    const { client } = await connectToServer(io, options.url);
    const page = await client.api.members.list.query({ limit, cursor: options.cursor });
    if (options.json) {
      printJson(io, page);
      return;
    }
    io.stdout.write(
      formatTable(page.items, [
        { header: "EMAIL", value: (m) => m.email },
        { header: "ROLE", value: (m) => m.role },
        { header: "JOINED", value: (m) => formatTimestamp(m.joinedAt) },
        { header: "USER ID", value: (m) => m.userId },
      ]),
    );
    if (page.hasMore && page.nextCursor) io.stderr.write(`more: condense members list --cursor ${page.nextCursor}\n`);
  },
});
