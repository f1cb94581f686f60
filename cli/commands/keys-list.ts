import { defineCommand, JSON_OPTION, LIST_OPTIONS, parseLimitOption, URL_OPTION } from "../command";
import { formatTable, formatTimestamp, printJson } from "../output";
import { connectToServer } from "../session";

/** `condense keys list`: the workspace's API keys (never the keys themselves, only their prefixes). */
export const command = defineCommand({
  description: "Revoked keys stay listed with the time they were revoked. LAST USED is updated at most once a minute.",
  options: { ...LIST_OPTIONS, ...JSON_OPTION, ...URL_OPTION },
  async run({ options, io }) {
    const limit = parseLimitOption(options.limit);
    const { client } = await connectToServer(io, options.url);
    const page = await client.api.keys.list.query({ limit, cursor: options.cursor });
    if (options.json) {
      printJson(io, page);
      return;
    }
    io.stdout.write(
      formatTable(page.items, [
        { header: "ID", value: (k) => k.id },
        { header: "NAME", value: (k) => k.name },
        { header: "PREFIX", value: (k) => k.prefix },
        { header: "CREATED", value: (k) => formatTimestamp(k.createdAt) },
        { header: "LAST USED", value: (k) => (k.lastUsedAt ? formatTimestamp(k.lastUsedAt) : "never") },
        { header: "REVOKED", value: (k) => (k.revokedAt ? formatTimestamp(k.revokedAt) : "-") },
      ]),
    );
    if (page.hasMore && page.nextCursor) io.stderr.write(`more: condense keys list --cursor ${page.nextCursor}\n`);
  },
});
