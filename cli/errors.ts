import { isAppError } from "../contracts/app-error";

/** A failure whose message is already the one line the user should read (exit 1). */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "CliError";
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** The command line itself is wrong (unknown option, missing argument): printed with the usage, exit 2. */
export class CliUsageError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: 2 });
    this.name = "CliUsageError";
  }
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found (DNS lookup failed)",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_CONNECT_TIMEOUT: "connect timed out",
  UND_ERR_SOCKET: "connection closed by the server",
  CERT_HAS_EXPIRED: "TLS certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed TLS certificate",
};

/** Follows `.cause` links (fetch wraps the socket error two levels deep). */
function listCauses(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let cur: unknown = err;
  while (cur !== undefined && cur !== null && chain.length < 8 && !chain.includes(cur)) {
    chain.push(cur);
    cur = typeof cur === "object" ? (cur as { cause?: unknown }).cause : undefined;
  }
  return chain;
}

/** The network failure reason when `err` is (or wraps) a socket/DNS error, else undefined. */
export function describeNetworkError(err: unknown): string | undefined {
  for (const e of listCauses(err)) {
    const code = typeof e === "object" && e !== null ? (e as { code?: unknown }).code : undefined;
    if (typeof code === "string" && code in NETWORK_CODES) return NETWORK_CODES[code];
  }
  for (const e of listCauses(err)) {
    if (e instanceof TypeError && e.message === "fetch failed") return "request failed";
  }
  return undefined;
}

/** tRPC puts zod issues as a JSON array in the message when the server has no custom formatter for them. */
function summarizeZodMessage(message: string): string | undefined {
  if (!message.startsWith("[")) return undefined;
  try {
    const issues = JSON.parse(message) as { path?: (string | number)[]; message?: string }[];
    if (!Array.isArray(issues) || issues.length === 0) return undefined;
    return issues.map((i) => `${(i.path ?? []).join(".") || "input"}: ${i.message ?? "invalid"}`).join("; ");
  } catch {
    return undefined;
  }
}

/**
 * Turns any failure into the one line printed after `condense: `.
 * AppError and tRPC errors give their user message, socket errors "cannot reach <url>: <reason>".
 */
export function formatCliError(err: unknown, ctx: { baseUrl?: string } = {}): string {
  if (err instanceof CliError) return err.message;
  if (isAppError(err)) return err.userMessage;

  const network = describeNetworkError(err);
  if (network) return `cannot reach ${ctx.baseUrl ?? "the server"}: ${network}`;

  if (typeof err === "object" && err !== null) {
    const e = err as { name?: string; message?: string; data?: { userMessage?: unknown; httpStatus?: unknown; code?: unknown } };
    // TRPCClientError: the server's formatter may put the user-facing text in data.userMessage.
    if (e.data && typeof e.data.userMessage === "string" && e.data.userMessage) return e.data.userMessage;
    if (e.name === "TRPCClientError" && typeof e.message === "string") {
      const zod = summarizeZodMessage(e.message);
      if (zod) return `invalid request: ${zod}`;
      // A non-JSON answer (proxy error page, wrong URL) makes tRPC fail to parse the body.
      if (/Unexpected token|is not valid JSON|Unable to transform response/i.test(e.message)) {
        return `${ctx.baseUrl ?? "the server"} did not answer like a Condense server (wrong --url?)`;
      }
      return e.message;
    }
    if (e.name === "AbortError") return "interrupted";
    if (typeof e.message === "string" && e.message) return firstLine(e.message);
  }
  return firstLine(String(err));
}

function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? text;
  return line.trim();
}

/**
 * The server URL the running command talks to, so a network error can name the URL it could not reach.
 * Set by cli/session.ts when a command connects; one CLI process runs one command, so a module variable is enough.
 */
let currentBaseUrl: string | undefined;

/** Records the server URL the current command uses. */
export function setCurrentBaseUrl(url: string | undefined): void {
  currentBaseUrl = url;
}

/** The server URL recorded by `setCurrentBaseUrl`, if any. */
export function getCurrentBaseUrl(): string | undefined {
  return currentBaseUrl;
}
