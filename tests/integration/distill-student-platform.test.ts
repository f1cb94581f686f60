/**
 * An uploaded student on the platform: a `distill` step with `studentModelId` trains that model (not the output of
 * earlier steps) against the job's model as teacher, in a real worker process. jobs.create refuses a student id of
 * another workspace as not found, before anything is queued.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ZDistillOptions } from "../../contracts/pipeline";
import { createJob } from "../../server/services/jobs/create-job";
import { getObjectBytes } from "../../server/storage/object-store";
import { decodeModel, encodeModel } from "../../worker/onnx/model-io";
import { createShapesCnn } from "../../worker/train/shapes-task";
import { killWorker, spawnWorker, startWorkerKit, waitForJobToFinish, type TWorkerKit, type TWorkerProcess } from "./worker-test-kit";

let kit: TWorkerKit;
let worker: TWorkerProcess | undefined;

beforeAll(async () => {
  kit = await startWorkerKit("distill-student");
});
afterAll(async () => {
  await killWorker(worker);
  await kit?.stop();
});

describe("distill with an uploaded student", () => {
  test("trains the uploaded student against the job's model and publishes it", async () => {
    const teacherId = await kit.addModel("shapes-teacher.onnx", encodeModel(createShapesCnn({ widths: [16, 32, 32], seed: 1 })));
    const studentId = await kit.addModel("shapes-student.onnx", encodeModel(createShapesCnn({ widths: [8, 16, 16], seed: 2 })));
    const user = await kit.prisma.user.create({ data: { email: `student-${Date.now()}@example.com`, passwordHash: "x" } });
    const caller = { userId: user.id, workspaceId: kit.workspaceId };
    const pipeline = { steps: [{ pass: "distill" as const, options: ZDistillOptions.parse({ epochs: 2, batchSize: 16, maxSamples: 96, studentModelId: studentId }) }] };

    // Someone else's model id is not found, and nothing is queued.
    const other = await kit.prisma.workspace.create({ data: { name: "other" } });
    await expect(
      createJob({ prisma: kit.prisma, enqueueJob: async () => undefined }, { userId: user.id, workspaceId: other.id }, { modelId: teacherId, pipeline }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const foreign = await kit.prisma.model.create({
      data: { workspaceId: other.id, name: "foreign.onnx", state: "ready", sizeBytes: 1n, storageKey: `foreign-${Date.now()}` },
    });
    const foreignPipeline = { steps: [{ pass: "distill" as const, options: { ...pipeline.steps[0]!.options, studentModelId: foreign.id } }] };
    await expect(createJob({ prisma: kit.prisma, enqueueJob: async () => undefined }, caller, { modelId: teacherId, pipeline: foreignPipeline })).rejects.toMatchObject({
      code: "NOT_FOUND",
      userMessage: expect.stringContaining(foreign.id),
    });

    const job = await createJob({ prisma: kit.prisma, enqueueJob: (id) => kit.queue.enqueue(id) }, caller, { modelId: teacherId, pipeline });
    worker = spawnWorker(kit);
    const done = await waitForJobToFinish(kit, job.id, 120_000, "the distill job");
    expect(done.state, done.error ?? "").toBe("succeeded");

    const artifacts = await kit.prisma.artifact.findMany({ where: { jobId: job.id } });
    const report = JSON.parse(new TextDecoder().decode(await getObjectBytes(kit.store, artifacts.find((a) => a.name === "report.json")!.storageKey))) as {
      distillation: { student: string };
    };
    expect(report.distillation.student).toBe('uploaded student "shapes-student.onnx"');
    // The published model is the student's architecture (8 channels in the first conv), not the teacher's 16.
    const compressed = decodeModel(await getObjectBytes(kit.store, artifacts.find((a) => a.name.endsWith(".compressed.onnx"))!.storageKey));
    const firstConv = compressed.graph!.node.find((n) => n.opType === "Conv")!;
    const weight = compressed.graph!.initializer.find((t) => t.name === firstConv.input[1]);
    expect(weight?.dims[0]).toBe(8);
    const logs = await kit.prisma.jobLog.findMany({ where: { jobId: job.id }, orderBy: { id: "asc" } });
    expect(logs.some((l) => l.message.startsWith("student model shapes-student.onnx"))).toBe(true);
  }, 180_000);
});
