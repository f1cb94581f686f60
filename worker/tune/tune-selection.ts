/**
 * The pure decision logic of a tune job: how a finished trial is judged against the goal (floor, hard targets,
 * no-regression gate), the Pareto front, the recommendation (or the closest trial and why none met the goal) and
 * the tune report. No IO: the coordinator, tune.get (live report) and the bench all call it.
 */
import type { TTuneGoal, TTuneReport, TTuneStopReason, TTuneTrial, TTuneTrialFlag } from "../../contracts/tune";

/** Job.result fields of a trial the selection reads (worker/jobs/summarize-report.ts writes them). */
export type TTrialSummary = {
  compressed?: { sizeBytes: number };
  fidelity?: { cosine: number; snrDb: number };
  sizeRatio?: number;
  latencyRatioP50?: number;
  accuracy?: { samples: number; originalTop1: number; compressedTop1: number };
};

/** The structure check of a trial's model after onnxruntime's graph optimization (check-qdq-fusion.ts). */
export type TQdqCheck = { computeNodes: number; unfusedComputeNodes: number; quantizedComputeNodes: number };

/** A trial as read from the database (plus the coordinator's bookkeeping). */
export type TTrialInput = {
  jobId: string;
  candidateId: string;
  rationale: string;
  round: number;
  pipeline: unknown;
  state: string;
  error?: string | null;
  result?: TTrialSummary | null;
  qdq?: TQdqCheck;
};

/**
 * Share of compute nodes left as float Conv/MatMul between DequantizeLinear and QuantizeLinear above which the
 * artifact counts as "unfused QDQ" (the runtime pays the (de)quantization but not the int8 kernels).
 */
export const UNFUSED_QDQ_SHARE = 0.5;

/** Latency ratio above which a trial counts as slower than the original: 2% covers timing noise of interleaved runs. */
export const SLOWER_LATENCY_RATIO = 1.02;

/** The floor metric's value in a trial summary, or undefined when the trial did not measure it. */
export function readFloorValue(result: TTrialSummary | null | undefined, metric: TTuneGoal["floor"]["metric"]): number | undefined {
  if (!result) return undefined;
  if (metric === "cosine") return result.fidelity?.cosine;
  if (metric === "snrDb") return result.fidelity?.snrDb;
  return result.accuracy?.compressedTop1;
}

/** Judges one trial against the goal: floor, hard targets and the no-regression gate (flags). */
export function evaluateTrial(input: TTrialInput, goal: TTuneGoal): TTuneTrial {
  const r = input.result ?? undefined;
  const flags: TTuneTrialFlag[] = [];
  const flagDetails: string[] = [];
  const floorValue = readFloorValue(r, goal.floor.metric);
  const succeeded = input.state === "succeeded";
  if (succeeded) {
    if (r?.latencyRatioP50 !== undefined && r.latencyRatioP50 > SLOWER_LATENCY_RATIO) {
      flags.push("slower-than-original");
      flagDetails.push(`p50 latency ${r.latencyRatioP50.toFixed(2)}× the original's in its own interleaved measurement`);
    }
    if (input.qdq && input.qdq.computeNodes > 0 && input.qdq.unfusedComputeNodes / input.qdq.computeNodes > UNFUSED_QDQ_SHARE) {
      flags.push("unfused-qdq");
      flagDetails.push(
        `${input.qdq.unfusedComputeNodes} of ${input.qdq.computeNodes} compute nodes stay float between Q/DQ pairs after onnxruntime's optimization`,
      );
    }
    if (floorValue === undefined) {
      flags.push("no-fidelity");
      flagDetails.push(`the trial's report has no ${goal.floor.metric}, so the floor cannot be checked`);
    }
  }
  const meetsFloor = succeeded && floorValue !== undefined && floorValue >= goal.floor.min;
  const sizeBytes = r?.compressed?.sizeBytes;
  const meetsSize = goal.maxSizeBytes === undefined || (sizeBytes !== undefined && sizeBytes <= goal.maxSizeBytes);
  const meetsLatency = goal.maxLatencyRatio === undefined || (r?.latencyRatioP50 !== undefined && r.latencyRatioP50 <= goal.maxLatencyRatio);
  return {
    jobId: input.jobId,
    candidateId: input.candidateId,
    rationale: input.rationale,
    round: input.round,
    pipeline: input.pipeline,
    state: input.state,
    error: input.error ?? null,
    ...(sizeBytes !== undefined ? { sizeBytes } : {}),
    ...(r?.sizeRatio !== undefined ? { sizeRatio: r.sizeRatio } : {}),
    ...(r?.latencyRatioP50 !== undefined ? { latencyRatioP50: r.latencyRatioP50 } : {}),
    ...(r?.fidelity ? { cosine: r.fidelity.cosine, snrDb: r.fidelity.snrDb } : {}),
    ...(r?.accuracy ? { accuracyTop1: r.accuracy.compressedTop1 } : {}),
    ...(floorValue !== undefined ? { floorValue } : {}),
    meetsFloor,
    meetsGoal: meetsFloor && meetsSize && meetsLatency && flags.length === 0,
    flags,
    flagDetails,
    onParetoFront: false,
  };
}

/**
 * The objective score of a trial (lower is better): size ratio, latency ratio, or their product.
 * A missing measurement scores as 1 (no better than the original), so it never wins by omission.
 */
export function scoreObjective(t: Pick<TTuneTrial, "sizeRatio" | "latencyRatioP50">, objective: TTuneGoal["objective"]): number {
  const size = t.sizeRatio ?? 1;
  const latency = t.latencyRatioP50 ?? 1;
  if (objective === "size") return size;
  if (objective === "latency") return latency;
  return size * latency;
}

/**
 * Job ids of the succeeded trials no other trial dominates on (smaller size, lower latency, higher floor metric).
 * Ties on all three keep both. Trials lacking a number are compared as if it were the worst possible.
 */
export function computeParetoFront(trials: readonly TTuneTrial[]): string[] {
  const points = trials
    .filter((t) => t.state === "succeeded")
    .map((t) => ({
      id: t.jobId,
      size: t.sizeRatio ?? Number.POSITIVE_INFINITY,
      latency: t.latencyRatioP50 ?? Number.POSITIVE_INFINITY,
      quality: t.floorValue ?? Number.NEGATIVE_INFINITY,
    }));
  const dominates = (a: (typeof points)[number], b: (typeof points)[number]) =>
    a.size <= b.size && a.latency <= b.latency && a.quality >= b.quality && (a.size < b.size || a.latency < b.latency || a.quality > b.quality);
  return points.filter((p) => !points.some((q) => q !== p && dominates(q, p))).map((p) => p.id);
}

/** How far a trial is from the goal (0 = meets floor and targets); flagged trials get a large penalty. */
export function measureGoalShortfall(t: TTuneTrial, goal: TTuneGoal): number {
  const scale = Math.max(Math.abs(goal.floor.min), 1e-6);
  let shortfall = t.floorValue === undefined ? 1 : Math.max(0, goal.floor.min - t.floorValue) / scale;
  if (goal.maxSizeBytes !== undefined) shortfall += t.sizeBytes === undefined ? 1 : Math.max(0, t.sizeBytes / goal.maxSizeBytes - 1);
  if (goal.maxLatencyRatio !== undefined) shortfall += t.latencyRatioP50 === undefined ? 1 : Math.max(0, t.latencyRatioP50 / goal.maxLatencyRatio - 1);
  return shortfall + (t.flags.length > 0 ? 10 : 0);
}

export type TSelection = { recommendedJobId: string | null; closestJobId: string | null; metGoal: boolean; explanation: string[] };

/** Formats a trial's numbers for explanations. */
export function describeTrialNumbers(t: TTuneTrial, goal: TTuneGoal): string {
  const parts: string[] = [];
  if (t.floorValue !== undefined) parts.push(`${goal.floor.metric} ${formatNumber(t.floorValue)}`);
  if (t.sizeRatio !== undefined) parts.push(`size ${formatNumber(t.sizeRatio * 100, 1)}%`);
  if (t.latencyRatioP50 !== undefined) parts.push(`latency ${formatNumber(t.latencyRatioP50, 3)}×`);
  return parts.join(", ");
}

/**
 * Picks the recommended trial: the best objective score among trials that meet the goal (floor, hard targets,
 * no flags); ties go to the higher floor metric. When none meets it, the closest trial (smallest shortfall) with
 * the reason.
 */
export function selectRecommendation(trials: readonly TTuneTrial[], goal: TTuneGoal): TSelection {
  const floorText = `${goal.floor.metric} ≥ ${goal.floor.min}`;
  const eligible = trials.filter((t) => t.meetsGoal);
  const explanation: string[] = [];
  const finished = trials.filter((t) => t.state === "succeeded");
  if (eligible.length > 0) {
    const best = [...eligible].sort(
      (a, b) => scoreObjective(a, goal.objective) - scoreObjective(b, goal.objective) || (b.floorValue ?? 0) - (a.floorValue ?? 0),
    )[0]!;
    explanation.push(
      `Recommended ${best.candidateId} (${describeTrialNumbers(best, goal)}): the best ${describeObjective(goal.objective)} of the ${eligible.length} trial(s) that keep ${floorText}${describeTargets(goal)} and pass the no-regression gate.`,
    );
    // Honest about a hollow win: meeting the floor is not the same as beating the original on the objective.
    const bestScore = scoreObjective(best, goal.objective);
    if (bestScore >= 2 - SLOWER_LATENCY_RATIO) {
      explanation.push(
        `No trial that keeps ${floorText} is measurably better than the original on ${describeObjective(goal.objective)} (best ${formatNumber(bestScore, 3)}× of the original, within the ${Math.round((SLOWER_LATENCY_RATIO - 1) * 100)}% noise of interleaved timing): keeping the original model is as good.`,
      );
    }
    const better = finished.filter((t) => t !== best && scoreObjective(t, goal.objective) < scoreObjective(best, goal.objective));
    for (const t of better.slice(0, 5)) explanation.push(`${t.candidateId} scores better on ${goal.objective} but ${describeWhyNot(t, goal)}.`);
    return { recommendedJobId: best.jobId, closestJobId: null, metGoal: true, explanation };
  }
  if (finished.length === 0) {
    explanation.push("No trial finished, so there is nothing to recommend.");
    return { recommendedJobId: null, closestJobId: null, metGoal: false, explanation };
  }
  const closest = [...finished].sort(
    (a, b) => measureGoalShortfall(a, goal) - measureGoalShortfall(b, goal) || scoreObjective(a, goal.objective) - scoreObjective(b, goal.objective),
  )[0]!;
  const bestFloor = Math.max(...finished.map((t) => t.floorValue ?? Number.NEGATIVE_INFINITY));
  explanation.push(
    `No trial met the goal (${floorText}${describeTargets(goal)}). Closest: ${closest.candidateId} (${describeTrialNumbers(closest, goal)}), which ${describeWhyNot(closest, goal)}.`,
  );
  if (Number.isFinite(bestFloor) && bestFloor < goal.floor.min) {
    explanation.push(`The best ${goal.floor.metric} any trial reached was ${formatNumber(bestFloor)}: relax the floor, or give calibration data closer to real inputs.`);
  }
  return { recommendedJobId: null, closestJobId: closest.jobId, metGoal: false, explanation };
}

/** Why a finished trial is not eligible, in words. */
export function describeWhyNot(t: TTuneTrial, goal: TTuneGoal): string {
  const reasons: string[] = [];
  if (t.floorValue === undefined) reasons.push(`has no ${goal.floor.metric}`);
  else if (t.floorValue < goal.floor.min) reasons.push(`has ${goal.floor.metric} ${formatNumber(t.floorValue)} < ${goal.floor.min}`);
  if (goal.maxSizeBytes !== undefined && (t.sizeBytes === undefined || t.sizeBytes > goal.maxSizeBytes)) reasons.push(`is ${t.sizeBytes ?? "?"} bytes > ${goal.maxSizeBytes}`);
  if (goal.maxLatencyRatio !== undefined && (t.latencyRatioP50 === undefined || t.latencyRatioP50 > goal.maxLatencyRatio)) {
    reasons.push(`runs at ${t.latencyRatioP50 === undefined ? "?" : formatNumber(t.latencyRatioP50, 3)}× > ${goal.maxLatencyRatio}×`);
  }
  for (const d of t.flagDetails) reasons.push(`is flagged: ${d}`);
  return reasons.length > 0 ? reasons.join(" and ") : "meets the goal";
}

function describeObjective(objective: TTuneGoal["objective"]): string {
  return objective === "size" ? "size" : objective === "latency" ? "latency" : "size × latency";
}

function describeTargets(goal: TTuneGoal): string {
  const parts: string[] = [];
  if (goal.maxSizeBytes !== undefined) parts.push(`size ≤ ${goal.maxSizeBytes} bytes`);
  if (goal.maxLatencyRatio !== undefined) parts.push(`latency ≤ ${goal.maxLatencyRatio}×`);
  return parts.length ? `, ${parts.join(", ")}` : "";
}

function formatNumber(x: number, digits = 4): string {
  return Number.isFinite(x) ? x.toFixed(digits).replace(/\.?0+$/, "") : String(x);
}

/** Builds tune-report.json from the trials as they are now (final, or live while running). */
export function buildTuneReport(input: {
  tuneJobId: string;
  goal: TTuneGoal;
  original: { sizeBytes: number; latencyMsP50?: number };
  trials: readonly TTrialInput[];
  stoppedBecause: TTuneStopReason;
  notes?: readonly string[];
  now?: Date;
}): TTuneReport {
  const trials = input.trials.map((t) => evaluateTrial(t, input.goal));
  const front = new Set(computeParetoFront(trials));
  for (const t of trials) t.onParetoFront = front.has(t.jobId);
  const selection = selectRecommendation(trials, input.goal);
  const explanation = [...selection.explanation, ...(input.notes ?? []), describeStop(input.stoppedBecause, trials.length, input.goal)];
  return {
    schemaVersion: 1,
    tuneJobId: input.tuneJobId,
    createdAt: (input.now ?? new Date()).toISOString(),
    goal: input.goal,
    original: input.original,
    stoppedBecause: input.stoppedBecause,
    trials,
    paretoFront: [...front],
    recommendedJobId: selection.recommendedJobId,
    closestJobId: selection.closestJobId,
    metGoal: selection.metGoal,
    explanation,
  };
}

function describeStop(reason: TTuneStopReason, trials: number, goal: TTuneGoal): string {
  switch (reason) {
    case "running":
      return `Still searching: ${trials} trial(s) so far.`;
    case "goal-met":
      return `Stopped after ${trials} of at most ${goal.budget.maxTrials} trials: the goal was met and no remaining candidate was expected to beat the recommendation.`;
    case "trial-budget":
      return `Stopped at the trial budget (${goal.budget.maxTrials} trials).`;
    case "time-budget":
      return `Stopped at the time budget (${goal.budget.maxWallSeconds ?? "?"} s); unfinished trials were canceled.`;
    case "exhausted":
      return `Stopped after ${trials} trial(s): the strategy had nothing left to try.`;
    case "canceled":
      return "The tune job was canceled: finished trials are kept, unfinished ones were canceled.";
  }
}
