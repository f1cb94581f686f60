/**
 * Operations checks against a real migrated database: the KEDA scaler's query is valid for the real schema and
 * counts what it claims, and GET /api/metrics reports queue depth, uploads, worker heartbeats and webhook outcomes.
 */
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createPrismaClient, type PrismaClient } from "../../server/db/prisma";
import { parsePrometheusText } from "../../server/metrics/prometheus-text";
import { INFRA_DIR, renderKustomization } from "../infra/render-manifests";
import { startTestStack, type TTestStack } from "./harness";

const METRICS_TOKEN = "ops-metrics-test-token-0123456789";
let stack: TTestStack;
let prisma: PrismaClient;

beforeAll(async () => {
  stack = await startTestStack("ops-metrics");
  prisma = createPrismaClient(stack.databaseUrl);
  // The route reads the process-wide config on first use.
  Object.assign(process.env, stack.env, { METRICS_BEARER_TOKEN: METRICS_TOKEN });
  const ws = await prisma.workspace.create({ data: { name: "ops" } });
  const model = (id: string, state: string, sizeBytes: number) =>
    prisma.model.create({ data: { id, workspaceId: ws.id, name: `${id}.onnx`, state, sizeBytes: BigInt(sizeBytes), storageKey: `k/${id}` } });
  await model("m-ready", "ready", 1000);
  await model("m-failed", "failed", 24);
  await model("m-uploading", "uploading", 5_000_000);
  const job = (state: string, extra: Record<string, unknown> = {}) =>
    prisma.job.create({ data: { workspaceId: ws.id, modelId: "m-ready", pipeline: { steps: [{ pass: "analyze" }] }, state, ...extra } });
  for (let i = 0; i < 4; i++) await job("queued");
  const now = new Date();
  const utcWall = new Date(now.getTime());
  await job("running", { workerId: "pod-a-1f2e3d", heartbeatAt: utcWall });
  await job("running", { workerId: "pod-b-0a0b0c", heartbeatAt: utcWall });
  // A worker whose last heartbeat is an hour old is not listed.
  await job("running", { workerId: "pod-dead-000000", heartbeatAt: new Date(now.getTime() - 3_600_000) });
  await job("succeeded");
  await job("failed");
  await prisma.webhookMessage.create({
    data: {
      id: "msg_1",
      workspaceId: ws.id,
      url: "https://example.com/hook",
      eventType: "job.succeeded",
      payload: "{}",
      attemptsLog: {
        create: [
          { attempt: 1, statusCode: 500, latencyMs: 12 },
          { attempt: 2, statusCode: null, latencyMs: 10_000, error: "timeout" },
          { attempt: 3, statusCode: 204, latencyMs: 8 },
        ],
      },
    },
  });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await stack?.stop();
});

test("the KEDA trigger query of every overlay is valid on the real schema and counts queued + running jobs", async () => {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    for (const overlay of ["cpu", "gpu"]) {
      const [so] = renderKustomization(path.join(INFRA_DIR, "k8s", "overlays", overlay)).filter((o) => o.kind === "ScaledObject");
      const query: string = so!.spec.triggers[0].metadata.query;
      const plan = await client.query(`EXPLAIN ${query}`);
      expect(plan.rows.length).toBeGreaterThan(0);
      const result = await client.query(query);
      // KEDA reads one numeric value from the first column of the first row.
      expect(result.fields).toHaveLength(1);
      expect(result.rows).toHaveLength(1);
      expect(Number(Object.values(result.rows[0])[0])).toBe(4 + 3);
    }
  } finally {
    await client.end();
  }
});

test("GET /api/metrics: bearer-protected Prometheus text with queue depth, uploads, heartbeats and webhook outcomes", async () => {
  const { GET } = await import("../../app/api/metrics/route");
  const denied = await GET(new Request("http://localhost/api/metrics"));
  expect(denied.status).toBe(401);
  expect((await GET(new Request("http://localhost/api/metrics", { headers: { authorization: "Bearer wrong-token-of-same-size!!" } }))).status).toBe(401);

  const res = await GET(new Request("http://localhost/api/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await res.text();
  expect(text).toContain("# TYPE condense_jobs gauge");
  expect(text).toContain("# TYPE condense_upload_bytes_total counter");
  const samples = parsePrometheusText(text);
  const get = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  expect(get("condense_jobs", { state: "queued" })).toBe(4);
  expect(get("condense_jobs", { state: "running" })).toBe(3);
  expect(get("condense_jobs", { state: "succeeded" })).toBe(1);
  expect(get("condense_jobs", { state: "failed" })).toBe(1);
  expect(get("condense_jobs", { state: "canceled" })).toBe(0);
  // Completed uploads only: the 5 MB one still uploading is a declared size, not bytes received.
  expect(get("condense_upload_bytes_total")).toBe(1024);
  expect(get("condense_models", { state: "uploading" })).toBe(1);
  expect(get("condense_workers_busy")).toBe(2);
  const beat = get("condense_worker_last_heartbeat_timestamp_seconds", { worker_id: "pod-a-1f2e3d" })!;
  expect(Math.abs(beat - Date.now() / 1000)).toBeLessThan(120);
  expect(get("condense_worker_last_heartbeat_timestamp_seconds", { worker_id: "pod-dead-000000" })).toBeUndefined();
  expect(get("condense_webhook_deliveries_total", { outcome: "success" })).toBe(1);
  expect(get("condense_webhook_deliveries_total", { outcome: "failure" })).toBe(2);
  expect(get("condense_webhook_messages", { state: "pending" })).toBe(1);
});
