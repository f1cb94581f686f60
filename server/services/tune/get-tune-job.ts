import { AppError } from "../../../contracts/app-error";
import { ZTuneGoal, ZTuneReport, TUNE_TRIAL_PRESET_PREFIX, type TTuneReport } from "../../../contracts/tune";
import { getObjectBytes } from "../../storage/object-store";
import { buildTuneReport, type TTrialSummary } from "../../../worker/tune/tune-selection";
import { findJobById, type TJobWithArtifacts } from "../jobs/find-job-by-id";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

export type TTuneJobView = {
  job: TJobWithArtifacts;
  trials: TJobWithArtifacts[];
  /** tune-report.json once finished; the coordinator's live report while running; rebuilt from trials otherwise. */
  report: TTuneReport | null;
  /** True when `report` is final (the published tune-report.json). */
  reportFinal: boolean;
};

/**
 * A tune job with its trials and report: the published tune-report.json once succeeded, else the live report the
 * coordinator keeps on the row, else (queued, canceled, failed) one rebuilt from the trials in the database.
 */
export async function getTuneJob(deps: Pick<TServiceDeps, "prisma" | "store">, caller: TServiceCaller, jobId: string): Promise<TTuneJobView> {
  const job = await findJobById(deps, caller, jobId);
  if (job.kind !== "tune") throw new AppError("BAD_INPUT", { userMessage: `job ${jobId} is a compress job, not a tune job: use jobs.get` });
  const trials = await deps.prisma.job.findMany({
    where: { parentJobId: job.id, workspaceId: caller.workspaceId },
    orderBy: { createdAt: "asc" },
    include: { artifacts: { orderBy: { name: "asc" } } },
  });
  const reportArtifact = job.artifacts.find((a) => a.name === "tune-report.json");
  if (job.state === "succeeded" && reportArtifact) {
    const parsed = ZTuneReport.safeParse(JSON.parse(new TextDecoder().decode(await getObjectBytes(deps.store, reportArtifact.storageKey))));
    if (parsed.success) return { job, trials, report: parsed.data, reportFinal: true };
  }
  const live = job.result as { live?: boolean; report?: unknown } | null;
  const liveReport = live?.live ? ZTuneReport.safeParse(live.report) : undefined;
  const known = new Map(liveReport?.success ? liveReport.data.trials.map((t) => [t.jobId, t]) : []);
  const goal = ZTuneGoal.safeParse(job.goal);
  if (!goal.success) return { job, trials, report: null, reportFinal: false };
  // Rebuilt from the rows so trial states are current even between coordinator polls.
  const report = buildTuneReport({
    tuneJobId: job.id,
    goal: goal.data,
    original: liveReport?.success ? liveReport.data.original : { sizeBytes: Number((trials[0]?.result as { original?: { sizeBytes?: number } } | null)?.original?.sizeBytes ?? 0) },
    trials: trials.map((t) => ({
      jobId: t.id,
      candidateId: t.preset?.startsWith(TUNE_TRIAL_PRESET_PREFIX) ? t.preset.slice(TUNE_TRIAL_PRESET_PREFIX.length) : (t.preset ?? t.id),
      rationale: known.get(t.id)?.rationale ?? "",
      round: known.get(t.id)?.round ?? 0,
      pipeline: t.pipeline,
      state: t.state,
      error: t.error,
      result: (t.result ?? null) as TTrialSummary | null,
      // The coordinator's QDQ check (from the trial's model) survives the rebuild through its flag.
      qdq: known.get(t.id)?.flags.includes("unfused-qdq") ? { computeNodes: 1, unfusedComputeNodes: 1, quantizedComputeNodes: 0 } : undefined,
    })),
    stoppedBecause: job.state === "canceled" ? "canceled" : "running",
  });
  return { job, trials, report, reportFinal: false };
}
