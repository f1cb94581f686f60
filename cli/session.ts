import { createCondenseClient, type TCondenseClient } from "../client";
import { readSavedCredentials, resolveServer, type TResolvedServer } from "./credentials";
import { CliError, setCurrentBaseUrl } from "./errors";
import type { TCliIo } from "./output";

export type TConnection = TResolvedServer & { client: TCondenseClient };

/**
 * Builds the API client for a command from `--url`, the environment and the saved login (cli/credentials.ts).
 * With `requireAuth` (the default) a missing credential is one line telling the user to log in, before any request.
 */
export async function connectToServer(io: Pick<TCliIo, "env">, flagUrl: string | undefined, opts: { requireAuth?: boolean } = {}): Promise<TConnection> {
  const saved = await readSavedCredentials(io.env);
  const server = resolveServer({ flagUrl, env: io.env, saved });
  setCurrentBaseUrl(server.baseUrl);
  if ((opts.requireAuth ?? true) && !server.auth) {
    const other = saved && server.urlSource !== "saved" ? ` (the saved login is for ${saved.url})` : "";
    throw new CliError(`not signed in to ${server.baseUrl}${other}: run \`condense login --url ${server.baseUrl}\` or set CONDENSE_API_KEY`);
  }
  const client = createCondenseClient({
    baseUrl: server.baseUrl,
    apiKey: server.auth?.kind === "apiKey" ? server.auth.apiKey : undefined,
    sessionToken: server.auth?.kind === "session" ? server.auth.sessionToken : undefined,
  });
  return { ...server, client };
}
