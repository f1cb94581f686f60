import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { printJson } from "../output";
import { connectToServer } from "../session";

/** `condense keys create NAME`: creates a workspace API key and prints it, the only time it is ever shown. */
export const command = defineCommand({
  description: [
    "Needs a signed-in session (`condense login`): an API key cannot create keys. The key goes to stdout alone, so",
    "`KEY=$(condense keys create ci)` captures it; its id and prefix go to stderr. Only a hash is stored on the server:",
    "the key cannot be shown again, only revoked (`condense keys revoke ID`). Use it as CONDENSE_API_KEY.",
  ].join("\n"),
  positionals: [{ name: "NAME" }],
  options: { ...JSON_OPTION, ...URL_OPTION },
  examples: ["condense keys create github-ci", "CONDENSE_API_KEY=$(condense keys create notebook) condense models list"],
  async run({ positionals, options, io }) {
    const { client } = await connectToServer(io, options.url);
    const created = await client.createApiKey(positionals[0]);
    if (options.json) printJson(io, created);
    else io.stdout.write(`${created.key}\n`);
    io.stderr.write(
      `created API key "${created.apiKey.name}" (id ${created.apiKey.id}, prefix ${created.apiKey.prefix}).\n` +
        "warning: copy the key now: it will not be shown again.\n",
    );
  },
});
