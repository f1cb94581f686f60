import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { printJson } from "../output";
import { connectToServer } from "../session";
import { parseWebhookEventsOption, WEBHOOK_EVENTS_HELP } from "./webhooks-events-option";

/** `condense webhooks add URL`: registers a webhook endpoint and prints its `whsec_` signing secret. */
export const command = defineCommand({
  description: [
    "Deliveries follow Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature headers): verify them with",
    "any Standard Webhooks library and the secret printed here. The secret goes to stdout alone (the endpoint id to",
    "stderr; everything with --json). Try the endpoint with `condense webhooks test ID`.",
  ].join("\n"),
  positionals: [{ name: "URL" }],
  options: {
    events: { type: "string", valueName: "EVENTS", description: `Send these ${WEBHOOK_EVENTS_HELP}` },
    description: { type: "string", valueName: "TEXT", description: "A note shown in lists, e.g. what receives it" },
    ...JSON_OPTION,
    ...URL_OPTION,
  },
  examples: ["condense webhooks add https://ci.example.com/condense --events job.succeeded,job.failed"],
  async run({ positionals, options, io }) {
    const events = parseWebhookEventsOption(options.events, "--events");
    const { client } = await connectToServer(io, options.url);
    const created = await client.addWebhook({ url: positionals[0], events, description: options.description });
    if (options.json) printJson(io, created);
    else io.stdout.write(`${created.secret}\n`);
    io.stderr.write(
      `added webhook endpoint ${created.endpoint.id} for ${created.endpoint.url} (events: ${created.endpoint.events.join(", ")}).\n` +
        "warning: copy the signing secret now: the CLI will not print it again.\n",
    );
  },
});
