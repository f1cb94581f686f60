import { expect, test } from "vitest";
import { loadConfig } from "../../server/config";
import { createLogger } from "../../server/logger";
import { createServer } from "node:net";
import { annotateReportRuntime, getDefaultExecutionProvider, getRuntimeInfo, probeExecutionProvider } from "../runtime/ort";
import { startWorkerOperations } from "./start-worker-operations";

// Development machines install onnxruntime without its CUDA provider (ONNXRUNTIME_NODE_INSTALL=skip); GPU images with it.
const cudaWorks = (await probeExecutionProvider("cuda")) === undefined;

test.runIf(cudaWorks)("WORKER_EXECUTION_PROVIDER=cuda with CUDA: sessions and provenance use it", async () => {
  const ops = await startWorkerOperations(loadConfig({ WORKER_EXECUTION_PROVIDER: "cuda" }), createLogger("test", "silent"));
  expect(ops.executionProvider).toBe("cuda");
  expect(annotateReportRuntime({ provenance: getRuntimeInfo(), warnings: [] as string[] })).toMatchObject({ provenance: { executionProvider: "cuda" }, warnings: [] });
});

test.runIf(!cudaWorks)("WORKER_EXECUTION_PROVIDER=cuda without CUDA: CPU fallback, and every report says so", async () => {
  const config = loadConfig({ WORKER_EXECUTION_PROVIDER: "cuda", WORKER_METRICS_PORT: "0" });
  const ops = await startWorkerOperations(config, createLogger("test", "silent"));
  expect(ops.executionProvider).toBe("cpu");
  expect(ops.metrics).toBeUndefined();
  expect(getDefaultExecutionProvider()).toBe("cpu");

  const report = annotateReportRuntime({
    provenance: getRuntimeInfo(),
    warnings: [] as string[],
    original: { analysis: { opsets: [{ domain: "", version: 13 }] } },
  });
  expect(report.warnings).toHaveLength(1);
  expect(report.warnings[0]).toMatch(/^CUDA was requested but is not available on this worker.*measured on CPU instead$/);
  expect(report.provenance).toMatchObject({
    executionProvider: "cpu",
    defaultExecutionProvider: "cpu",
    opsets: [{ domain: "", version: 13 }],
    arch: process.arch,
    gpus: [],
  });
  expect((report.provenance as unknown as { onnxruntimeVersion: string }).onnxruntimeVersion).toMatch(/^\d+\.\d+\.\d+$/);
  expect((report.provenance as unknown as { totalMemoryBytes: number }).totalMemoryBytes).toBeGreaterThan(0);
  // Annotating twice (a retried upload) does not repeat the warning.
  annotateReportRuntime(report);
  expect(report.warnings).toHaveLength(1);
});

test.runIf(!cudaWorks)("auto on a machine without an NVIDIA GPU is a plain CPU worker: no warning in reports; cpu never probes", async () => {
  const auto = await startWorkerOperations(loadConfig({ WORKER_EXECUTION_PROVIDER: "auto" }), createLogger("test", "silent"));
  expect(auto.executionProvider).toBe("cpu");
  expect(annotateReportRuntime({ provenance: getRuntimeInfo(), warnings: [] as string[] }).warnings).toEqual([]);
  const cpu = await startWorkerOperations(loadConfig({ WORKER_EXECUTION_PROVIDER: "cpu" }), createLogger("test", "silent"));
  expect(cpu.executionProvider).toBe("cpu");
});

test("the metrics endpoint starts when WORKER_METRICS_PORT is set, and not when it is 0", async () => {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const on = await startWorkerOperations(loadConfig({ WORKER_EXECUTION_PROVIDER: "cpu", WORKER_METRICS_PORT: String(port) }), createLogger("test", "silent"));
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("# TYPE condense_job_duration_seconds histogram");
  } finally {
    await on.metrics?.close();
  }
  const off = await startWorkerOperations(loadConfig({ WORKER_EXECUTION_PROVIDER: "cpu", WORKER_METRICS_PORT: "0" }), createLogger("test", "silent"));
  expect(off.metrics).toBeUndefined();
});
