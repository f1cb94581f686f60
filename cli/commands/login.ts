import { createCondenseClient } from "../../client";
import { defineCommand } from "../command";
import { normalizeBaseUrl, readSavedCredentials, saveCredentials, type TSavedCredentials } from "../credentials";
import { CliError, CliUsageError, setCurrentBaseUrl } from "../errors";
import { promptLine, promptSecret, readAllStdin } from "../prompt";

/** `condense login`: signs in with email + password and saves the session token (0600) for later commands. */
export const command = defineCommand({
  description: [
    "The password comes from --password-stdin, else $CONDENSE_PASSWORD, else a prompt without echo (terminals only).",
    "The session is saved to $XDG_CONFIG_HOME/condense/credentials.json (default ~/.config), readable only by you.",
  ].join("\n"),
  options: {
    url: { type: "string", valueName: "URL", description: "Condense server (default: $CONDENSE_URL, else the last login's)" },
    email: { type: "string", valueName: "EMAIL", description: "Account email (default: $CONDENSE_EMAIL, else prompted)" },
    "password-stdin": { type: "boolean", description: "Read the password from stdin (for scripts)" },
  },
  examples: [
    "condense login --url http://127.0.0.1:3000 --email me@example.com",
    "printf '%s' \"$PASSWORD\" | condense login --url https://condense.example.com --email ci@example.com --password-stdin",
  ],
  async run({ options, io }) {
    // A damaged credentials file must not stop the user from logging in again (it is about to be replaced).
    let saved: TSavedCredentials | undefined;
    try {
      saved = await readSavedCredentials(io.env);
    } catch {
      saved = undefined;
    }
    const rawUrl = options.url ?? io.env.CONDENSE_URL ?? saved?.url;
    if (!rawUrl) throw new CliUsageError("which server? pass --url URL (e.g. http://127.0.0.1:3000) or set CONDENSE_URL");
    const baseUrl = normalizeBaseUrl(rawUrl);
    setCurrentBaseUrl(baseUrl);

    let email = options.email ?? io.env.CONDENSE_EMAIL;
    if (!email) {
      if (!io.stdin.isTTY || options["password-stdin"]) throw new CliUsageError("pass --email EMAIL (or set CONDENSE_EMAIL)");
      email = (await promptLine(io, "Email: ")).trim();
      if (!email) throw new CliError("no email given");
    }

    let password: string;
    if (options["password-stdin"]) {
      password = await readAllStdin(io);
      if (!password) throw new CliError("--password-stdin: stdin was empty");
    } else if (io.env.CONDENSE_PASSWORD) {
      password = io.env.CONDENSE_PASSWORD;
    } else if (io.stdin.isTTY) {
      password = await promptSecret(io, "Password: ");
    } else {
      throw new CliUsageError("no password: use --password-stdin, set CONDENSE_PASSWORD, or run in a terminal to be prompted");
    }

    if (!password) throw new CliError("no password given");

    const session = await createCondenseClient({ baseUrl }).api.auth.signIn.mutate({ email, password });
    const file = await saveCredentials(io.env, {
      url: baseUrl,
      sessionToken: session.token,
      email: session.user.email,
      expiresAt: session.expiresAt,
    });
    io.stderr.write(`signed in to ${baseUrl} as ${session.user.email} (workspace "${session.workspace.name}"); session saved to ${file}\n`);
    if (io.env.CONDENSE_API_KEY) io.stderr.write("note: CONDENSE_API_KEY is set and takes precedence over this login\n");
  },
});
