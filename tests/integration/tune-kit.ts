/**
 * Shared setup of the tune-*.test.ts files: the worker kit (real PostgreSQL, s3rver, worker child processes) with
 * the small PP-OCR classifier uploaded, tune jobs created through the real service (as tune.create does), and
 * readers for the tune report.
 */
import { readFile } from "node:fs/promises";
import { ZTuneReport, type TTuneGoalInput, type TTuneReport } from "../../contracts/tune";
import { createTuneJob } from "../../server/services/tune/create-tune-job";
import { TUNE_QUEUE_NAME } from "../../server/queue/job-queue";
import { getObjectBytes } from "../../server/storage/object-store";
import { getFixtureModel } from "../fixtures/fetch-models";
import { startWorkerKit, waitFor, type TWorkerKit } from "./worker-test-kit";

export type TTuneKit = TWorkerKit & {
  clsModelId: string;
  /**
   * Creates a tune job for the classifier through the service, like tune.create. `via: "job-queue"` sends it the
   * way plain jobs.create deps do (the compression consumer forwards it to the coordinator queue).
   */
  createTune: (goal: TTuneGoalInput, opts?: { via?: "tune-queue" | "job-queue" }) => Promise<string>;
  /** The published tune-report.json of a succeeded tune job. */
  readTuneReport: (tuneJobId: string) => Promise<TTuneReport>;
  /** Trials (child jobs) of a tune job. */
  listTrials: (tuneJobId: string) => Promise<{ id: string; state: string; preset: string | null; workerId: string | null; artifacts: { name: string; sha256: string }[] }[]>;
  waitForTuneEnd: (tuneJobId: string, timeoutMs?: number) => Promise<{ state: string; result: unknown; error: string | null }>;
};

export async function startTuneKit(label: string): Promise<TTuneKit> {
  const kit = await startWorkerKit(label);
  const clsBytes = new Uint8Array(await readFile(await getFixtureModel("ppocr_cls")));
  const clsModelId = await kit.addModel("ch_ppocr_mobile_v2.0_cls_infer.onnx", clsBytes);
  const caller = { userId: "tune-test", workspaceId: kit.workspaceId };
  return {
    ...kit,
    clsModelId,
    createTune: async (goal, opts = {}) => {
      const direct = opts.via !== "job-queue" ? { enqueueTuneJob: (id: string) => kit.queue.enqueue(id, { queueName: TUNE_QUEUE_NAME }) } : {};
      const job = await createTuneJob({ prisma: kit.prisma, enqueueJob: (id) => kit.queue.enqueue(id), ...direct }, caller, { modelId: clsModelId, goal });
      return job.id;
    },
    readTuneReport: async (tuneJobId) => {
      const artifact = await kit.prisma.artifact.findFirstOrThrow({ where: { jobId: tuneJobId, name: "tune-report.json" } });
      return ZTuneReport.parse(JSON.parse(new TextDecoder().decode(await getObjectBytes(kit.store, artifact.storageKey))));
    },
    listTrials: (tuneJobId) =>
      kit.prisma.job.findMany({
        where: { parentJobId: tuneJobId },
        orderBy: { createdAt: "asc" },
        select: { id: true, state: true, preset: true, workerId: true, artifacts: { select: { name: true, sha256: true } } },
      }),
    waitForTuneEnd: (tuneJobId, timeoutMs = 120_000) =>
      waitFor(
        () => kit.prisma.job.findUniqueOrThrow({ where: { id: tuneJobId }, select: { state: true, result: true, error: true } }),
        (j) => ["succeeded", "failed", "canceled"].includes(j.state),
        timeoutMs,
        "the tune job to finish",
      ),
  };
}
