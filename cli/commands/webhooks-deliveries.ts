import type { TWebhookMessage } from "../../client";
import { defineCommand, JSON_OPTION, LIST_OPTIONS, parseLimitOption, URL_OPTION } from "../command";
import { formatTable, formatTimestamp, printJson } from "../output";
import { connectToServer } from "../session";
import { describeWebhookAttempt } from "./webhooks-delivery-format";

type TRow = { message: TWebhookMessage; attempt?: TWebhookMessage["attemptsLog"][number] };

/** `condense webhooks deliveries`: the delivery log, one line per attempt (newest first). */
export const command = defineCommand({
  description: [
    "Lists webhook messages (newest first; --limit counts messages) with one line per delivery attempt.",
    "A message not attempted yet shows as pending. ID is the webhook-id header, the same on every retry.",
  ].join("\n"),
  options: {
    endpoint: { type: "string", valueName: "ID", description: "Only deliveries to this endpoint" },
    job: { type: "string", valueName: "ID", description: "Only events of this job (including its per-job webhook)" },
    ...LIST_OPTIONS,
    ...JSON_OPTION,
    ...URL_OPTION,
  },
  examples: ["condense webhooks deliveries --endpoint ENDPOINT_ID", "condense webhooks deliveries --job JOB_ID --json"],
  async run({ options, io }) {
    const limit = parseLimitOption(options.limit);
    const { client } = await connectToServer(io, options.url);
    const page = await client.listWebhookDeliveries({ endpointId: options.endpoint, jobId: options.job, limit, cursor: options.cursor });
    if (options.json) {
      printJson(io, page);
      return;
    }
    const rows: TRow[] = page.items.flatMap((message) =>
      message.attemptsLog.length === 0 ? [{ message }] : message.attemptsLog.map((attempt) => ({ message, attempt })),
    );
    io.stdout.write(
      formatTable(rows, [
        { header: "TIME", value: (r) => formatTimestamp(r.attempt?.attemptedAt ?? r.message.createdAt) },
        { header: "EVENT", value: (r) => r.message.eventType },
        { header: "STATUS", value: (r) => (r.attempt ? describeWebhookAttempt(r.attempt) : r.message.state) },
        { header: "LATENCY", value: (r) => (r.attempt ? `${r.attempt.latencyMs} ms` : "-"), align: "right" },
        { header: "ATTEMPT", value: (r) => (r.attempt ? String(r.attempt.attempt) : "-"), align: "right" },
        { header: "ID", value: (r) => r.message.id },
        { header: "DESTINATION", value: (r) => r.message.endpointId ?? r.message.url ?? "-" },
      ]),
    );
    if (page.hasMore && page.nextCursor) io.stderr.write(`more: condense webhooks deliveries --cursor ${page.nextCursor}\n`);
  },
});
