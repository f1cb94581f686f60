/** PostgreSQL SQLSTATEs for "the server closed or refused the connection" (admin shutdown, crash, connection failure). */
const CONNECTION_SQLSTATES: ReadonlySet<string> = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006"]);

/**
 * True when an error means the database connection was lost rather than that the job itself failed.
 * Such a job must not be failed: its heartbeats stop, the lease lapses and the reaper retries it elsewhere.
 */
export function isDatabaseConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string" && CONNECTION_SQLSTATES.has(code)) return true;
  const message = err instanceof Error ? err.message : String(err);
  return /Connection terminated|ECONNRESET|ECONNREFUSED|terminating connection|has encountered a connection error/i.test(message);
}
