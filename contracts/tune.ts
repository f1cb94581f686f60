import { z } from "zod";

/**
 * Goal-driven compression (issue 10): a `tune` job takes a goal and a budget, runs trials (ordinary compress jobs
 * that point at it) and writes tune-report.json: every trial, the Pareto front and the recommended trial.
 * Shared by API, worker, CLI and portal.
 */

/** Metrics a floor can be put on. */
export const TUNE_FLOOR_METRICS = [
  /** Worst-output cosine vs the original (report.fidelity.cosine). */
  "cosine",
  /** Top-1 accuracy with user labels (report.accuracy.compressed.top1); needs an evaluation dataset with labels. */
  "accuracy",
  /** Worst-output SNR in dB (report.fidelity.snrDb). */
  "snrDb",
] as const;
export const ZTuneFloorMetric = z.enum(TUNE_FLOOR_METRICS);
export type TTuneFloorMetric = z.infer<typeof ZTuneFloorMetric>;

/** What the search minimizes among trials that meet the floor. */
export const TUNE_OBJECTIVES = [
  /** Smallest file. */
  "size",
  /** Lowest p50 latency (ratio to the original, measured interleaved). */
  "latency",
  /** Both: the product sizeRatio × latencyRatio. */
  "both",
] as const;
export const ZTuneObjective = z.enum(TUNE_OBJECTIVES);
export type TTuneObjective = z.infer<typeof ZTuneObjective>;

/** Most trials one tune job may run. */
export const TUNE_MAX_TRIALS = 50;
export const TUNE_DEFAULT_TRIALS = 20;

export const ZTuneBudget = z
  .object({
    /** Trials (child jobs) created at most. */
    maxTrials: z.number().int().min(1).max(TUNE_MAX_TRIALS).default(TUNE_DEFAULT_TRIALS),
    /** Wall time after which running trials are canceled and the best result so far is returned. */
    maxWallSeconds: z.number().int().min(10).max(7 * 24 * 3600).optional(),
  })
  .strict();
export type TTuneBudget = z.infer<typeof ZTuneBudget>;

export const ZTuneGoal = z
  .object({
    /** The quality a recommended trial must keep, e.g. { metric: "cosine", min: 0.99 }. */
    floor: z.object({ metric: ZTuneFloorMetric, min: z.number().min(-1000).max(1000) }).strict(),
    objective: ZTuneObjective.default("latency"),
    /** Hard size target: a trial above it does not meet the goal. */
    maxSizeBytes: z.number().int().positive().optional(),
    /** Hard latency target as a ratio to the original (0.5 = 2× faster). */
    maxLatencyRatio: z.number().gt(0).max(10).optional(),
    budget: ZTuneBudget.default({ maxTrials: TUNE_DEFAULT_TRIALS }),
  })
  .strict();
export type TTuneGoal = z.infer<typeof ZTuneGoal>;
export type TTuneGoalInput = z.input<typeof ZTuneGoal>;

/** Flags a trial can carry; flagged trials are never recommended. */
export const TUNE_TRIAL_FLAGS = [
  /** p50 latency above the original's in the trial's own interleaved measurement. */
  "slower-than-original",
  /** Most compute nodes sit between DequantizeLinear/QuantizeLinear pairs the runtime did not fuse. */
  "unfused-qdq",
  /** The trial's report has no fidelity numbers, so the floor cannot be checked. */
  "no-fidelity",
] as const;
export const ZTuneTrialFlag = z.enum(TUNE_TRIAL_FLAGS);
export type TTuneTrialFlag = z.infer<typeof ZTuneTrialFlag>;

/** One trial as the tune report lists it. */
export const ZTuneTrial = z.object({
  /** The trial's Job id. */
  jobId: z.string(),
  /** Stable candidate key (also the trial Job's `preset`): a coordinator that resumes never runs it twice. */
  candidateId: z.string(),
  /** Why the strategy proposed it. */
  rationale: z.string(),
  round: z.number().int(),
  pipeline: z.unknown(),
  state: z.string(),
  error: z.string().nullable().optional(),
  sizeBytes: z.number().optional(),
  sizeRatio: z.number().optional(),
  latencyRatioP50: z.number().optional(),
  cosine: z.number().optional(),
  snrDb: z.number().optional(),
  accuracyTop1: z.number().optional(),
  /** The floor metric's value (undefined when not measured). */
  floorValue: z.number().optional(),
  meetsFloor: z.boolean(),
  /** Floor, hard targets and no flags: eligible for recommendation. */
  meetsGoal: z.boolean(),
  flags: z.array(ZTuneTrialFlag),
  /** Human-readable details of the flags (e.g. "12 of 14 Conv nodes left unfused"). */
  flagDetails: z.array(z.string()).default([]),
  onParetoFront: z.boolean(),
});
export type TTuneTrial = z.infer<typeof ZTuneTrial>;

/** Why the search stopped. */
export const TUNE_STOP_REASONS = [
  /** Still running (a live report). */
  "running",
  /** The goal was met and no pending candidate was expected to beat the recommended trial. */
  "goal-met",
  /** maxTrials trials were created. */
  "trial-budget",
  /** maxWallSeconds passed. */
  "time-budget",
  /** The strategy had nothing left to try. */
  "exhausted",
  /** The user canceled the tune job. */
  "canceled",
] as const;
export const ZTuneStopReason = z.enum(TUNE_STOP_REASONS);
export type TTuneStopReason = z.infer<typeof ZTuneStopReason>;

/** tune-report.json. */
export const ZTuneReport = z.object({
  schemaVersion: z.literal(1),
  tuneJobId: z.string(),
  createdAt: z.string(),
  goal: ZTuneGoal,
  original: z.object({ sizeBytes: z.number(), latencyMsP50: z.number().optional() }),
  stoppedBecause: ZTuneStopReason,
  trials: z.array(ZTuneTrial),
  /** Job ids of the non-dominated finished trials (size × latency × floor metric). */
  paretoFront: z.array(z.string()),
  /** The trial to use: best on the objective among trials meeting the goal; null when none does. */
  recommendedJobId: z.string().nullable(),
  /** When nothing met the goal: the trial closest to it. */
  closestJobId: z.string().nullable(),
  metGoal: z.boolean(),
  /** One line per decision: why this trial, why not the others, why the search stopped. */
  explanation: z.array(z.string()),
});
export type TTuneReport = z.infer<typeof ZTuneReport>;

/** Job.result of a finished tune job (the summary lists and the job page show). */
export type TTuneResultSummary = {
  kind: "tune";
  metGoal: boolean;
  stoppedBecause: TTuneStopReason;
  trials: number;
  recommendedJobId: string | null;
  closestJobId: string | null;
  /** Metrics of the recommended (or closest) trial. */
  sizeBytes?: number;
  sizeRatio?: number;
  latencyRatioP50?: number;
  fidelity?: { cosine?: number; snrDb?: number };
  accuracyTop1?: number;
  explanation: string[];
  artifacts: { name: string; sizeBytes: number }[];
};

/** Prefix of the `preset` column of trial jobs: `tune:<candidateId>`. */
export const TUNE_TRIAL_PRESET_PREFIX = "tune:";

/**
 * Parses the CLI's floor text, e.g. "cosine>=0.99", "accuracy>=0.95", "snrDb>=30".
 * Returns an error message naming the accepted forms otherwise.
 */
export function parseTuneFloor(text: string): { ok: true; floor: TTuneGoal["floor"] } | { ok: false; error: string } {
  const m = /^\s*([A-Za-z]+)\s*>=?\s*(-?[0-9]*\.?[0-9]+)\s*$/.exec(text);
  const metric = m ? ZTuneFloorMetric.safeParse(m[1]) : undefined;
  if (!m || !metric?.success) {
    return { ok: false, error: `invalid floor "${text}": use METRIC>=VALUE with METRIC one of ${TUNE_FLOOR_METRICS.join(", ")} (e.g. cosine>=0.99)` };
  }
  return { ok: true, floor: { metric: metric.data, min: Number(m[2]) } };
}
