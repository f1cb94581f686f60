import { afterAll, beforeAll, expect, test } from "vitest";
import { loadConfig } from "../../server/config";
import { createPrismaClient } from "../../server/db/prisma";
import { checkReadiness } from "../../server/services/health/check-readiness";
import { createObjectStore } from "../../server/storage/object-store";
import { startTestStack, type TTestStack } from "./harness";

let stack: TTestStack;
beforeAll(async () => {
  stack = await startTestStack("apihealth");
});
afterAll(async () => {
  await stack?.stop();
});

test("the Next route handlers: /api/health is 200, /api/ready checks the database and the bucket", async () => {
  // The route handlers read the process environment, as they do under `next start`.
  Object.assign(process.env, stack.env);
  const health = await import("../../app/api/health/route");
  const ready = await import("../../app/api/ready/route");
  expect(health.runtime).toBe("nodejs");
  expect(ready.dynamic).toBe("force-dynamic");
  expect(await health.GET().json()).toEqual({ ok: true });
  const res = await ready.GET();
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ ok: true, database: "ok", storage: "ok" });
});

test("readiness names what failed: a missing bucket, an unreachable database", async () => {
  const config = loadConfig({ ...stack.env, S3_BUCKET: "no-such-bucket" } as Record<string, string> as NodeJS.ProcessEnv);
  const prisma = createPrismaClient(stack.databaseUrl);
  const noBucket = await checkReadiness({ prisma, store: createObjectStore(config) });
  expect(noBucket).toMatchObject({ ok: false, database: "ok", storage: "failed" });
  expect(noBucket.errors[0]).toMatch(/^storage: /);
  await prisma.$disconnect();

  const deadDb = createPrismaClient("postgresql://postgres:postgres@127.0.0.1:1/nothing");
  const noDb = await checkReadiness({ prisma: deadDb, store: createObjectStore(loadConfig(stack.env as NodeJS.ProcessEnv)) }, 2000);
  expect(noDb).toMatchObject({ ok: false, database: "failed", storage: "ok" });
  await deadDb.$disconnect();
});
