/**
 * Shared setup of the worker-*.test.ts files: a real stack (PostgreSQL + s3rver via harness.ts), a seeded
 * workspace with a real uploaded model, Job rows created the way the API does (insert queued, then enqueueJob's
 * send), and workers as real child processes (`node bin/condense.mjs worker`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { TPipelineSpec } from "../../contracts";
import { loadConfig } from "../../server/config";
import { createPrismaClient, type PrismaClient } from "../../server/db/prisma";
import { createJobQueue, type TJobQueue } from "../../server/queue/job-queue";
import { buildModelKey, createKeyToken, createObjectStore, putObject, type TObjectStore } from "../../server/storage/object-store";
import { getFixtureModel } from "../fixtures/fetch-models";
import { startTestStack, type TTestStack } from "./harness";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Short lease so crash tests take seconds: heartbeat every second, lease lapses after 4 s of silence. */
export const TEST_WORKER_ENV = { WORKER_HEARTBEAT_SECONDS: "1", WORKER_LEASE_SECONDS: "4", JOB_MAX_ATTEMPTS: "3", LOG_LEVEL: "info" };

export type TWorkerKit = {
  stack: TTestStack;
  prisma: PrismaClient;
  store: TObjectStore;
  queue: TJobQueue;
  workspaceId: string;
  modelId: string;
  modelBytes: Uint8Array;
  /** Inserts a queued Job and enqueues it, like the API's jobs.create. */
  createJob: (pipeline: TPipelineSpec, opts?: { modelId?: string }) => Promise<string>;
  /** Uploads bytes as another "ready" model of the workspace (e.g. a file that is not really ONNX). */
  addModel: (name: string, bytes: Uint8Array) => Promise<string>;
  stop: () => Promise<void>;
};

/**
 * Starts a stack and seeds one workspace with a real model uploaded to storage: the PP-OCRv4 recogniser
 * (10.8 MB, ~10 ms per run here), so one `analyze` job can be short (a few runs) or long (hundreds of runs).
 */
export async function startWorkerKit(label: string): Promise<TWorkerKit> {
  const stack = await startTestStack(label);
  const prisma = createPrismaClient(stack.databaseUrl);
  const store = createObjectStore(loadConfig(stack.env as NodeJS.ProcessEnv));
  const queue = await createJobQueue(stack.databaseUrl, { supervise: false });
  const modelBytes = new Uint8Array(await readFile(await getFixtureModel("ppocr_rec")));
  const workspace = await prisma.workspace.create({ data: { name: `${label} workspace` } });
  const addModel = async (name: string, bytes: Uint8Array): Promise<string> => {
    const id = `model${createKeyToken().slice(0, 12)}`;
    const storageKey = buildModelKey(workspace.id, id, createKeyToken());
    const { sha256 } = await putObject(store, storageKey, bytes, "application/octet-stream");
    await prisma.model.create({
      data: { id, workspaceId: workspace.id, name, state: "ready", sizeBytes: BigInt(bytes.byteLength), sha256, storageKey },
    });
    return id;
  };
  const modelId = await addModel("ch_PP-OCRv4_rec_infer.onnx", modelBytes);
  const createJob = async (pipeline: TPipelineSpec, opts: { modelId?: string } = {}): Promise<string> => {
    const job = await prisma.job.create({ data: { workspaceId: workspace.id, modelId: opts.modelId ?? modelId, pipeline, state: "queued" } });
    await queue.enqueue(job.id);
    return job.id;
  };
  return {
    stack,
    prisma,
    store,
    queue,
    workspaceId: workspace.id,
    modelId,
    modelBytes,
    createJob,
    addModel,
    stop: async () => {
      await queue.stop();
      await prisma.$disconnect();
      await stack.stop();
    },
  };
}

/** An analyze pipeline; many latency runs make a job long enough to cancel or kill mid-run. */
export function buildAnalyzePipeline(latencyRuns: number): TPipelineSpec {
  return { steps: [{ pass: "analyze", options: { latencyRuns, warmupRuns: 1, dynamicDimSize: 1 } }] };
}

/** A job that runs for several seconds on this machine (long enough to cancel, kill or drain mid-run). */
export const LONG_JOB_PIPELINE: TPipelineSpec = buildAnalyzePipeline(600);

export type TWorkerProcess = {
  child: ChildProcess;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  /** Everything written to stderr so far. */
  stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<number | string>;
  /** Waits until a log line matches. */
  waitForLog: (match: (line: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>;
};

/** Spawns `node bin/condense.mjs worker` against a test stack (a worker kit's or an API test env's). */
export function spawnWorker(kit: { stack: { env: Record<string, string> } }, args: string[] = [], extraEnv: Record<string, string> = {}): TWorkerProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "condense.mjs"), "worker", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...kit.stack.env, ...TEST_WORKER_ENV, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const stderr: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
    for (const w of waiters) w();
  });
  // "close", not "exit": exit can fire before the last stdout lines are read, and tests assert on those lines.
  const exited = new Promise<number | string>((resolve) => {
    child.once("close", (code, signal) => {
      for (const w of waiters) w();
      resolve(code ?? signal ?? "unknown");
    });
  });
  const waitForLog = (match: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const hit = logs.find(match);
        if (hit) {
          cleanup();
          resolve(hit);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          cleanup();
          reject(new Error(`worker exited before the expected log line; stderr: ${stderr.join("").slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for a worker log line; last lines: ${JSON.stringify(logs.slice(-5))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { child, logs, stderr: () => stderr.join(""), exited, waitForLog };
}

/** Polls `read` until `done` holds for its value (tests only; the product never polls like this). */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until a job succeeded or failed and returns it with its Artifact rows. */
export function waitForJobToFinish(kit: TWorkerKit, jobId: string, timeoutMs = 60_000, what = "the job to finish") {
  return waitFor(
    () => kit.prisma.job.findUniqueOrThrow({ where: { id: jobId }, include: { artifacts: true } }),
    (j) => j.state === "succeeded" || j.state === "failed",
    timeoutMs,
    what,
  );
}

/** Every object key under a prefix. */
export async function listKeys(store: TObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** The storage folder of all of a job's attempts. */
export function buildJobPrefix(workspaceId: string, jobId: string): string {
  return `ws/${workspaceId}/jobs/${jobId}/`;
}

/** Kills a worker if it still runs (test cleanup). */
export async function killWorker(w: TWorkerProcess | undefined): Promise<void> {
  if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill("SIGKILL");
  await w.exited;
}
