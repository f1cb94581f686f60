import { setTimeout as sleep } from "node:timers/promises";
import type { TWebhookMessage } from "../../client";
import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { CliError } from "../errors";
import { printJson } from "../output";
import { connectToServer } from "../session";
import { describeWebhookAttempt } from "./webhooks-delivery-format";

/** How long `--wait` waits for the first attempt; deliveries start within seconds when a worker runs. */
const WAIT_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 500;

/** `condense webhooks test ID`: queues a signed `webhook.test` event to an endpoint. */
export const command = defineCommand({
  description: [
    "Deliveries are sent by the workers (`condense serve` runs one). Prints the message id (its webhook-id header) on",
    "stdout. With --wait, waits for the first attempt and exits 1 unless the receiver answered 2xx.",
  ].join("\n"),
  positionals: [{ name: "ID" }],
  options: {
    wait: { type: "boolean", description: "Wait for the first delivery attempt and report its status" },
    ...JSON_OPTION,
    ...URL_OPTION,
  },
  examples: ["condense webhooks test ENDPOINT_ID --wait"],
  async run({ positionals, options, io }) {
    const endpointId = positionals[0];
    const { client } = await connectToServer(io, options.url);
    const queued = await client.sendTestWebhook(endpointId);
    if (!options.wait) {
      if (options.json) printJson(io, queued);
      else {
        io.stdout.write(`${queued.id}\n`);
        io.stderr.write(`test event ${queued.id} queued; see it with: condense webhooks deliveries --endpoint ${endpointId}\n`);
      }
      return;
    }
    io.stderr.write(`test event ${queued.id} queued; waiting for the first attempt\n`);
    const deadline = Date.now() + WAIT_TIMEOUT_MS;
    let message: TWebhookMessage | undefined = queued;
    while (message.state === "pending" && message.attemptsLog.length === 0) {
      if (Date.now() > deadline) throw new CliError(`no delivery attempt within ${WAIT_TIMEOUT_MS / 1000} s: is a worker running?`);
      await sleep(POLL_INTERVAL_MS, undefined, { signal: io.signal });
      // The message is among the newest few of its endpoint: it was just queued.
      const page = await client.listWebhookDeliveries({ endpointId, limit: 20 });
      message = page.items.find((m) => m.id === queued.id) ?? message;
    }
    if (options.json) printJson(io, message);
    const last = message.attemptsLog[0];
    if (message.state === "delivered") {
      if (!options.json) io.stdout.write(`${message.id}\n`);
      io.stderr.write(`delivered: ${last ? `${describeWebhookAttempt(last)} in ${last.latencyMs} ms` : "ok"}\n`);
      return;
    }
    const outcome = last ? `attempt ${last.attempt} got ${describeWebhookAttempt(last)}` : (message.lastError ?? message.state);
    throw new CliError(`test event ${message.id} was not delivered: ${outcome}${message.state === "pending" ? " (it will be retried)" : ""}`);
  },
});
