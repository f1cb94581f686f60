import { defineCommand, JSON_OPTION, LIST_OPTIONS, parseLimitOption, URL_OPTION } from "../command";
import { formatBytes, formatTable, formatTimestamp, printJson } from "../output";
import { connectToServer } from "../session";

/** `condense models list`: the workspace's models, newest first. */
export const command = defineCommand({
  options: { ...LIST_OPTIONS, ...JSON_OPTION, ...URL_OPTION },
  async run({ options, io }) {
    const limit = parseLimitOption(options.limit);
    const { client } = await connectToServer(io, options.url);
    const page = await client.api.models.list.query({ limit, cursor: options.cursor });
    if (options.json) {
      printJson(io, page);
      return;
    }
    io.stdout.write(
      formatTable(page.items, [
        { header: "ID", value: (m) => m.id },
        { header: "NAME", value: (m) => m.name },
        { header: "STATE", value: (m) => (m.state === "failed" && m.error ? `failed: ${m.error}` : m.state) },
        { header: "SIZE", value: (m) => formatBytes(m.sizeBytes), align: "right" },
        { header: "CREATED", value: (m) => formatTimestamp(m.createdAt) },
      ]),
    );
    if (page.hasMore && page.nextCursor) io.stderr.write(`more: condense models list --cursor ${page.nextCursor}\n`);
  },
});
