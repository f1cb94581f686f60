import { defineCommand, JSON_OPTION, LIST_OPTIONS, parseLimitOption, URL_OPTION } from "../command";
import { formatTable, formatTimestamp, printJson } from "../output";
import { connectToServer } from "../session";

/** `condense webhooks list`: the workspace's webhook endpoints, with why a disabled one was disabled. */
export const command = defineCommand({
  description: "An endpoint is disabled when its receiver answers 410 Gone, after repeated failures, or by a user; STATE says which.",
  options: { ...LIST_OPTIONS, ...JSON_OPTION, ...URL_OPTION },
  async run({ options, io }) {
    const limit = parseLimitOption(options.limit);
    const { client } = await connectToServer(io, options.url);
    const page = await client.api.webhooks.list.query({ limit, cursor: options.cursor });
    if (options.json) {
      printJson(io, page);
      return;
    }
    io.stdout.write(
      formatTable(page.items, [
        { header: "ID", value: (e) => e.id },
        { header: "URL", value: (e) => e.url },
        { header: "EVENTS", value: (e) => e.events.join(",") },
        { header: "FAILURES", value: (e) => String(e.consecutiveFailures), align: "right" },
        { header: "CREATED", value: (e) => formatTimestamp(e.createdAt) },
        { header: "STATE", value: (e) => (e.enabled ? "enabled" : `disabled: ${e.disabledReason ?? "unknown reason"}`) },
      ]),
    );
    if (page.hasMore && page.nextCursor) io.stderr.write(`more: condense webhooks list --cursor ${page.nextCursor}\n`);
  },
});
