import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../../generated/prisma/client";
import { getConfig } from "../config";

export type { PrismaClient } from "../../generated/prisma/client";

/**
 * Interactive transactions may wait this long for a connection and run this long. Prisma's defaults (2 s / 5 s) are
 * too short for embedded PGlite, which runs one statement at a time for every process: on a loaded 2-core machine a
 * tune coordinator's trial cancellation waited over 2 s for its BEGIN and failed the whole tune job.
 */
export const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 30_000 } as const;

/** Creates a Prisma client on adapter-pg (no engine binary). Callers own its lifetime. */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 10 }), transactionOptions: TRANSACTION_OPTIONS });
}

const globalForPrisma = globalThis as unknown as { condensePrisma?: PrismaClient };

/** The process-wide client for DATABASE_URL (reused across Next.js hot reloads). */
export function getPrisma(): PrismaClient {
  if (!globalForPrisma.condensePrisma) {
    const url = getConfig().DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set: start the platform with `condense serve` or set it");
    globalForPrisma.condensePrisma = createPrismaClient(url);
  }
  return globalForPrisma.condensePrisma;
}
