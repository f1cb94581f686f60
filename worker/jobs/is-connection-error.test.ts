import { expect, test } from "vitest";
import { isDatabaseConnectionError } from "./is-connection-error";

test("connection losses are recognised, job errors are not", () => {
  expect(isDatabaseConnectionError(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }))).toBe(true);
  expect(isDatabaseConnectionError(new Error("Connection terminated unexpectedly"))).toBe(true);
  // pg's client after its socket died, as seen through Prisma's adapter during publication.
  expect(isDatabaseConnectionError(new Error("Client has encountered a connection error and is not queryable"))).toBe(true);
  expect(isDatabaseConnectionError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
  expect(isDatabaseConnectionError(new Error("the model file is truncated"))).toBe(false);
  expect(isDatabaseConnectionError(Object.assign(new Error("duplicate key"), { code: "23505" }))).toBe(false);
});
