import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { printJson } from "../output";
import { connectToServer } from "../session";

/** `condense keys revoke ID`: revokes an API key; its next request is refused with 401. */
export const command = defineCommand({
  description: "Needs a signed-in session. Takes effect at once: the key's next request fails. Find ids with `condense keys list`.",
  positionals: [{ name: "ID" }],
  options: { ...JSON_OPTION, ...URL_OPTION },
  examples: ["condense keys revoke KEY_ID"],
  async run({ positionals, options, io }) {
    const { client } = await connectToServer(io, options.url);
    const key = await client.revokeApiKey(positionals[0]);
    if (options.json) printJson(io, key);
    else io.stderr.write(`revoked API key "${key.name}" (${key.id}, prefix ${key.prefix})\n`);
  },
});
