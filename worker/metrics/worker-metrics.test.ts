import { afterAll, expect, test } from "vitest";
import { AppError } from "../../contracts";
import { parsePrometheusText } from "../../server/metrics/prometheus-text";
import { startWorkerMetricsServer } from "./metrics-server";
import { classifyJobFailure, describePipelineLabel, getWorkerRegistry, recordJobFinished, recordReapResult, recordWorkerHeartbeat } from "./worker-metrics";

const servers: { close: () => Promise<void> }[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

test("pipeline labels are bounded: pass names only, never options", () => {
  expect(describePipelineLabel({ steps: [{ pass: "prune", options: { ratio: 0.5 } }, { pass: "quantize" }] })).toBe("prune+quantize");
  expect(describePipelineLabel({ steps: [{ pass: "x".repeat(40) }] })).toBe("other");
  expect(describePipelineLabel(null)).toBe("unknown");
  expect(describePipelineLabel({ steps: Array.from({ length: 30 }, () => ({ pass: "quantize" })) }).length).toBeLessThanOrEqual(80);
});

test("failure reason classes: AppError code, internal, worker_lost", () => {
  expect(classifyJobFailure(new AppError("BAD_INPUT", { userMessage: "bad" }))).toBe("bad_input");
  expect(classifyJobFailure(new Error("boom"))).toBe("internal");
});

test("the endpoint serves what the worker recorded", async () => {
  recordJobFinished({ steps: [{ pass: "analyze" }] }, "succeeded", 2.5);
  recordJobFinished({ steps: [{ pass: "analyze" }] }, "failed", 0.2, new AppError("BAD_INPUT", { userMessage: "x" }));
  recordWorkerHeartbeat();
  recordWorkerHeartbeat();
  recordReapResult({ requeued: ["a"], failed: ["b"], redelivered: [] });

  const server = await startWorkerMetricsServer({ port: 0, host: "127.0.0.1" });
  servers.push(server);
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  const samples = parsePrometheusText(await res.text());
  const get = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  expect(get("condense_job_duration_seconds_count", { pipeline: "analyze", outcome: "succeeded" })).toBe(1);
  expect(get("condense_job_duration_seconds_bucket", { pipeline: "analyze", outcome: "succeeded", le: "1" })).toBe(0);
  expect(get("condense_job_duration_seconds_bucket", { pipeline: "analyze", outcome: "succeeded", le: "5" })).toBe(1);
  expect(get("condense_jobs_failed_total", { reason_class: "bad_input" })).toBe(1);
  expect(get("condense_jobs_failed_total", { reason_class: "worker_lost" })).toBe(1);
  expect(get("condense_jobs_recovered_total", { action: "requeued" })).toBe(1);
  expect(get("condense_worker_heartbeats_total")).toBe(2);
  expect(getWorkerRegistry().render()).toContain("# TYPE condense_worker_heartbeats_total counter");

  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(405);
});
