/**
 * Job events from a real worker process (`condense worker`) reach real receivers: job.started and job.succeeded for a
 * job that runs, job.failed on a per-job webhook for one that fails. Signatures are verified with `standardwebhooks`.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { findJobById } from "../../server/services/jobs/find-job-by-id";
import { toJobDto, type TJobDto } from "../../server/services/jobs/job-dto";
import { getWorkspaceWebhookSecret } from "../../server/services/webhooks/manage-webhook-endpoints";
import { createWebhookSecret } from "../../server/webhooks/webhook-signing";
import { startWebhookReceiver, verifyWebhook, type TWebhookReceiver } from "./webhooks-kit";
import { buildAnalyzePipeline, killWorker, spawnWorker, startWorkerKit, type TWorkerKit, type TWorkerProcess } from "./worker-test-kit";

let kit: TWorkerKit;
let worker: TWorkerProcess | undefined;
let endpointReceiver: TWebhookReceiver;
let jobReceiver: TWebhookReceiver;
let progressReceiver: TWebhookReceiver;

beforeAll(async () => {
  kit = await startWorkerKit("whworker");
  endpointReceiver = await startWebhookReceiver();
  jobReceiver = await startWebhookReceiver();
  progressReceiver = await startWebhookReceiver();
});

afterAll(async () => {
  await killWorker(worker);
  await endpointReceiver?.close();
  await jobReceiver?.close();
  await progressReceiver?.close();
  await kit?.stop();
});

describe("webhooks from a real worker", () => {
  test("job.started + job.succeeded to an endpoint, job.failed to a per-job webhook, bodies as jobs.get returns them", async () => {
    const secret = createWebhookSecret();
    await kit.prisma.webhookEndpoint.create({
      data: { workspaceId: kit.workspaceId, url: endpointReceiver.url, events: ["job.started", "job.succeeded"], secret },
    });
    const progressSecret = createWebhookSecret();
    await kit.prisma.webhookEndpoint.create({
      data: { workspaceId: kit.workspaceId, url: progressReceiver.url, events: ["job.progress"], secret: progressSecret },
    });
    const okJobId = await kit.createJob(buildAnalyzePipeline(3));
    const badModelId = await kit.addModel("not-onnx.onnx", new TextEncoder().encode("this is not a model"));
    const badJob = await kit.prisma.job.create({
      data: {
        workspaceId: kit.workspaceId,
        modelId: badModelId,
        pipeline: buildAnalyzePipeline(3),
        state: "queued",
        webhookUrl: jobReceiver.url,
        webhookEvents: ["job.failed"],
      },
    });
    const workspaceSecret = await getWorkspaceWebhookSecret({ prisma: kit.prisma }, kit.workspaceId);
    await kit.queue.enqueue(badJob.id);

    worker = spawnWorker(kit, [], { WEBHOOKS_ALLOW_LOOPBACK: "true" });
    // The endpoint subscribes to started + succeeded of both jobs: the bad job's job.started comes too.
    const received = await endpointReceiver.waitForCount(3, 90_000);
    const [failed] = await jobReceiver.waitForCount(1, 90_000);

    const bodies = received.map((r) => ({ type: r.eventType, id: r.id, job: verifyWebhook(secret, r) as TJobDto }));
    const okEvents = bodies.filter((b) => b.job.id === okJobId);
    expect(okEvents.map((b) => b.type).sort()).toEqual(["job.started", "job.succeeded"]);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(3);
    const started = okEvents.find((b) => b.type === "job.started")!.job;
    expect(started).toMatchObject({ id: okJobId, state: "running", attempts: 1, artifacts: [] });
    const succeeded = okEvents.find((b) => b.type === "job.succeeded")!.job;
    const caller = { userId: "worker-test", workspaceId: kit.workspaceId };
    expect(succeeded).toEqual(toJobDto(await findJobById({ prisma: kit.prisma }, caller, okJobId)));
    expect(succeeded.state).toBe("succeeded");
    expect(succeeded.artifacts.map((a) => a.name)).toContain("report.json");

    expect(failed!.eventType).toBe("job.failed");
    const failedJob = verifyWebhook(workspaceSecret, failed!) as TJobDto;
    expect(failedJob).toEqual(toJobDto(await findJobById({ prisma: kit.prisma }, caller, badJob.id)));
    expect(failedJob.state).toBe("failed");
    expect(failedJob.error).toBeTruthy();

    // job.progress: throttled (WEBHOOK_PROGRESS_MIN_INTERVAL_SECONDS = 5 s), so a job of a few seconds sends 1-2.
    await progressReceiver.waitForCount(1, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    const progress = progressReceiver.received.map((r) => ({ type: r.eventType, job: verifyWebhook(progressSecret, r) as TJobDto }));
    const okProgress = progress.filter((p) => p.job.id === okJobId);
    expect(progress.every((p) => p.type === "job.progress" && p.job.state === "running")).toBe(true);
    expect(okProgress.length).toBeGreaterThanOrEqual(1);
    expect(okProgress.length).toBeLessThanOrEqual(3);

    const log = await kit.prisma.webhookMessage.findMany({ where: { eventType: { not: "job.progress" } }, include: { attemptsLog: true } });
    expect(log).toHaveLength(4);
    expect(log.every((m) => m.state === "delivered" && m.attemptsLog.length === 1 && m.attemptsLog[0]!.statusCode === 200)).toBe(true);
    expect(await kit.prisma.jobEvent.count()).toBe(0);

    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  });
});
