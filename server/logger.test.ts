import { Writable } from "node:stream";
import pino from "pino";
import { expect, test } from "vitest";
import { createLoggerOptions } from "./logger";

/** A logger configured exactly like createLogger's, writing into memory. */
function captureLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[]; raw: () => string } {
  let out = "";
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const logger = pino(createLoggerOptions("test", "info"), stream);
  return { logger, raw: () => out, lines: () => out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test("secrets, API keys, session tokens and URLs never reach a log line, at the top level or one level down", () => {
  const { logger, lines, raw } = captureLogger();
  const presigned = "https://s3.example.com/bucket/ws/1/model.onnx?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=deadbeefcafe";
  logger.info({ jobId: "job_1", requestId: "req_1", apiKey: "cnd_live_SECRETKEY", token: "sess_TOKEN", password: "hunter2" }, "top level");
  logger.info({ caller: { apiKey: "cnd_live_NESTED", token: "sess_NESTED", secret: "whsec_NESTED" }, upload: { url: presigned } }, "nested");
  logger.info({ headers: { authorization: "Bearer cnd_live_HEADER", cookie: "condense_session=COOKIE" }, url: presigned }, "request");

  const [top, nested, request] = lines();
  // Ids stay: they are what makes a log line traceable.
  expect(top).toMatchObject({ jobId: "job_1", requestId: "req_1", apiKey: "[redacted]", token: "[redacted]", password: "[redacted]" });
  expect(nested).toMatchObject({ caller: { apiKey: "[redacted]", token: "[redacted]", secret: "[redacted]" }, upload: { url: "[redacted]" } });
  expect(request).toMatchObject({ headers: { authorization: "[redacted]", cookie: "[redacted]" }, url: "[redacted]" });
  for (const secret of ["SECRETKEY", "sess_TOKEN", "hunter2", "NESTED", "HEADER", "COOKIE", "X-Amz-Signature", "deadbeefcafe"]) {
    expect(raw()).not.toContain(secret);
  }
});

test("presigned URLs under any key lose their query string", () => {
  const { logger, raw, lines } = captureLogger();
  logger.info({ download: { link: "http://127.0.0.1:9000/b/k?X-Amz-Credential=AKIA&X-Amz-Signature=abc123" } }, "x");
  expect(lines()[0]).toMatchObject({ download: { link: "http://127.0.0.1:9000/b/k?[redacted]" } });
  expect(raw()).not.toContain("abc123");
});
