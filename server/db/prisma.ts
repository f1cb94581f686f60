import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../../generated/prisma/client";
import { getConfig } from "../config";

export type { PrismaClient } from "../../generated/prisma/client";

/** Creates a Prisma client on adapter-pg (no engine binary). Callers own its lifetime. */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 10 }) });
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
