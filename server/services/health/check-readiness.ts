import { checkBucket } from "../../storage/object-store";
import type { TServiceDeps } from "../service-deps";

export type TReadiness = { ok: boolean; database: "ok" | "failed"; storage: "ok" | "failed"; errors: string[] };

/** Checks that the database answers `SELECT 1` and the bucket exists, each with a time limit. */
export async function checkReadiness(deps: Pick<TServiceDeps, "prisma" | "store">, timeoutMs = 3000): Promise<TReadiness> {
  const errors: string[] = [];
  const probe = async (name: string, fn: () => Promise<unknown>): Promise<"ok" | "failed"> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return "ok";
    } catch (err) {
      errors.push(`${name}: ${(err as Error).message || (err as Error).name}`);
      return "failed";
    } finally {
      clearTimeout(timer);
    }
  };
  const [database, storage] = await Promise.all([
    probe("database", () => deps.prisma.$queryRaw`SELECT 1`),
    probe("storage", () => checkBucket(deps.store)),
  ]);
  return { ok: database === "ok" && storage === "ok", database, storage, errors };
}
