import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createPrismaClient } from "../../server/db/prisma";
import { createS3Client } from "../../server/storage/s3-client";
import { loadConfig } from "../../server/config";
import { startTestStack, type TTestStack } from "./harness";

let stack: TTestStack;
beforeAll(async () => {
  stack = await startTestStack("harness");
});
afterAll(async () => {
  await stack?.stop();
});

test("the test stack has a migrated database and a working S3 server", async () => {
  const prisma = createPrismaClient(stack.databaseUrl);
  const user = await prisma.user.create({ data: { email: "harness@example.com", passwordHash: "x" } });
  expect(await prisma.user.findUnique({ where: { id: user.id } })).toMatchObject({ email: "harness@example.com" });
  await prisma.$disconnect();

  const s3 = createS3Client(loadConfig(stack.env));
  const body = Buffer.from("hello condense");
  await s3.send(new PutObjectCommand({ Bucket: stack.s3.bucket, Key: "a/b.txt", Body: body }));
  const got = await s3.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: "a/b.txt" }));
  expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
});
