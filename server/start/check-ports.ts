import { createServer } from "node:net";

export type TPortClaim = { port: number; host: string; setting: string; what: string };

/**
 * Checks that each port can be bound, before anything slow starts, so a taken port is one clear line instead of
 * a failure half-way through start-up. Port 0 (pick a free one) always passes.
 * Throws an Error whose message names the port, what wanted it and the setting that changes it.
 */
export async function assertPortsFree(claims: TPortClaim[]): Promise<void> {
  for (const claim of claims) {
    if (claim.port === 0) continue;
    const problem = await new Promise<string | undefined>((resolve) => {
      const probe = createServer();
      probe.once("error", (err: NodeJS.ErrnoException) =>
        resolve(err.code === "EADDRINUSE" ? "is already in use" : err.code === "EACCES" ? "needs privileges to bind" : `cannot be bound (${err.code ?? err.message})`),
      );
      probe.listen(claim.port, claim.host, () => probe.close(() => resolve(undefined)));
    });
    if (problem) {
      throw new Error(`port ${claim.port} on ${claim.host} (${claim.what}) ${problem}: stop what uses it or set ${claim.setting} to another port`);
    }
  }
}
