import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { CliUsageError } from "../errors";
import { formatTimestamp, printJson } from "../output";
import { connectToServer } from "../session";

/** `condense members invite EMAIL`: invites someone to the workspace and prints the link to give them. */
export const command = defineCommand({
  description: [
    "Owners only, signed in. No mail is sent: the invite link goes to stdout; hand it to the invitee, who opens it",
    "and signs in (or signs up) with that email address. The link works once and expires.",
  ].join("\n"),
  positionals: [{ name: "EMAIL" }],
  options: {
    role: { type: "string", valueName: "ROLE", description: "member (default) or owner" },
    ...JSON_OPTION,
    ...URL_OPTION,
  },
  examples: ["condense members invite alice@example.com", "condense members invite bob@example.com --role owner"],
  async run({ positionals, options, io }) {
    const role = options.role ?? "member";
    if (role !== "member" && role !== "owner") throw new CliUsageError(`--role must be member or owner, got "${role}"`);
    const { client } = await connectToServer(io, options.url);
    const invited = await client.api.members.invite.mutate({ email: positionals[0], role });
    if (options.json) {
      printJson(io, invited);
      return;
    }
    io.stdout.write(`${invited.inviteUrl}\n`);
    io.stderr.write(
      `invited ${invited.invitation.email} as ${invited.invitation.role}; give them the link above (no mail is sent). ` +
        `It expires ${formatTimestamp(invited.invitation.expiresAt)}.\n`,
    );
  },
});
