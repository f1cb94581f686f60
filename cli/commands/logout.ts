import { createCondenseClient } from "../../client";
import { defineCommand } from "../command";
import { deleteSavedCredentials, readSavedCredentials, resolveCredentialsPath } from "../credentials";
import { formatCliError } from "../errors";

/** `condense logout`: ends the saved session on the server (best effort) and deletes the local file. */
export const command = defineCommand({
  description: "The local credentials file is deleted even when the server cannot be reached.",
  options: {},
  async run({ io }) {
    let saved;
    try {
      saved = await readSavedCredentials(io.env);
    } catch {
      // Damaged file: nothing to revoke, just remove it.
      saved = undefined;
    }
    if (saved) {
      try {
        await createCondenseClient({ baseUrl: saved.url, sessionToken: saved.sessionToken }).api.auth.signOut.mutate();
      } catch (err) {
        // 401: the session already ended (expired or signed out elsewhere); nothing to say.
        const status = (err as { data?: { httpStatus?: number } }).data?.httpStatus;
        if (status !== 401) io.stderr.write(`warning: could not end the session on ${saved.url} (${formatCliError(err, { baseUrl: saved.url })}); deleting it locally\n`);
      }
    }
    const deleted = await deleteSavedCredentials(io.env);
    if (!deleted) {
      io.stderr.write("not signed in\n");
      return;
    }
    io.stderr.write(`signed out${saved ? ` of ${saved.url}` : ""}; removed ${resolveCredentialsPath(io.env)}\n`);
  },
});
