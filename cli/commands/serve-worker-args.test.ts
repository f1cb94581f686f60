import { describe, expect, it } from "vitest";
import { CliUsageError } from "../errors";
import { parseServeArgs } from "./serve";
import { parseWorkerArgs } from "./worker";

describe("condense serve / worker flags", () => {
  it("reads serve flags in both spellings, with the defaults a plain `npm start` gets", () => {
    expect(parseServeArgs([])).toEqual({ worker: true, migrate: true, build: true });
    expect(parseServeArgs(["--port", "4000", "--data-dir=/tmp/d", "--no-worker", "--no-build"])).toEqual({
      port: 4000,
      dataDir: "/tmp/d",
      worker: false,
      migrate: true,
      build: false,
    });
  });

  it("refuses wrong serve flags with one line and the usage", () => {
    expect(() => parseServeArgs(["--port", "70000"])).toThrow(/--port must be a whole number from 1 to 65535\nusage: condense serve/);
    expect(() => parseServeArgs(["--port"])).toThrow(/option --port needs a value/);
    expect(() => parseServeArgs(["--workers"])).toThrow(CliUsageError);
    expect(() => parseServeArgs(["--no-worker=1"])).toThrow(/takes no value/);
    expect(() => parseServeArgs(["extra"])).toThrow(/unexpected argument "extra"/);
  });

  it("reads and checks worker flags", () => {
    expect(parseWorkerArgs(["--concurrency", "2", "--id=gpu-0", "--drain-timeout", "30"])).toEqual({ concurrency: 2, id: "gpu-0", drainTimeoutSeconds: 30 });
    expect(() => parseWorkerArgs(["--concurrency", "0"])).toThrow(/from 1 to 64/);
    expect(() => parseWorkerArgs(["--id", "a b"])).toThrow(/--id may use letters/);
    expect(() => parseWorkerArgs(["--drain-timeout", "-1"])).toThrow(/seconds >= 0/);
    expect(() => parseWorkerArgs(["--threads", "2"])).toThrow(/unknown option --threads\nusage: condense worker/);
  });
});
