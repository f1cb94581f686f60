import { describe, expect, it } from "vitest";
import { AppError } from "../contracts/app-error";
import { CliError, describeNetworkError, formatCliError } from "./errors";

/** Shaped like @trpc/client's TRPCClientError (name, message, data from the server's error formatter). */
function trpcError(message: string, data?: Record<string, unknown>, cause?: unknown): Error {
  const err = new Error(message, { cause }) as Error & { data?: unknown };
  err.name = "TRPCClientError";
  err.data = data;
  return err;
}

describe("formatCliError", () => {
  it("uses the user message of AppError and the server message of tRPC errors", () => {
    expect(formatCliError(new AppError("NOT_FOUND", { message: "row 7 missing", userMessage: "job 7 not found" }))).toBe("job 7 not found");
    expect(formatCliError(trpcError("email or password is incorrect", { code: "UNAUTHORIZED", httpStatus: 401 }))).toBe("email or password is incorrect");
    expect(formatCliError(trpcError("raw", { userMessage: "from data" }))).toBe("from data");
  });

  it("summarizes raw zod issue arrays", () => {
    const msg = JSON.stringify([{ path: ["modelId"], message: "Too small" }, { path: [], message: "Bad" }]);
    expect(formatCliError(trpcError(msg))).toBe("invalid request: modelId: Too small; input: Bad");
  });

  it("names the URL for socket errors, two causes deep as fetch reports them", () => {
    const socket = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    const fetchFailed = new TypeError("fetch failed", { cause: socket });
    expect(formatCliError(trpcError("fetch failed", undefined, fetchFailed), { baseUrl: "http://h:1" })).toBe("cannot reach http://h:1: connection refused");
    const dns = Object.assign(new Error("getaddrinfo ENOTFOUND nope"), { code: "ENOTFOUND" });
    expect(describeNetworkError(new TypeError("fetch failed", { cause: dns }))).toBe("host not found");
    expect(formatCliError(new TypeError("fetch failed"))).toBe("cannot reach the server: request failed");
  });

  it("explains a non-Condense answer (HTML error page) instead of a JSON parse error", () => {
    expect(formatCliError(trpcError("Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON"), { baseUrl: "http://x" })).toBe(
      "http://x did not answer like a Condense server (wrong --url?)",
    );
  });

  it("keeps CliError messages and reduces anything else to its first line", () => {
    expect(formatCliError(new CliError("job j1 failed: model has no inputs"))).toBe("job j1 failed: model has no inputs");
    expect(formatCliError(new Error("\nfirst line\n    at stack (x.ts:1)"))).toBe("first line");
    expect(formatCliError("plain string")).toBe("plain string");
  });
});
