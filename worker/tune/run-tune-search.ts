/**
 * The tune coordinator's search loop, independent of where trials run: the worker's backend creates child Job rows
 * on the normal queue (tune-trial-store.ts), the bench runs pipelines in-process. The loop keeps up to
 * `maxParallelTrials` trials in flight, feeds finished ones back to the strategy, and stops when the goal is met
 * and nothing pending is expected to beat the recommendation, when the budget is spent, or when the strategy has
 * nothing left. It is idempotent across restarts: trials are keyed by candidate id, so a resumed coordinator
 * continues from the trials already recorded.
 */
import type { TSensitivityEntry } from "../../contracts/report";
import type { TTuneGoal, TTuneReport, TTuneStopReason } from "../../contracts/tune";
import { createSearchStrategy, type TCandidate, type TModelTraits, type TSearchStrategy, type TStrategyTrial } from "./search-strategy";
import { buildTuneReport, evaluateTrial, scoreObjective, type TQdqCheck, type TTrialInput, type TTrialSummary } from "./tune-selection";

/** A trial as its backend knows it. */
export type TTrialRecord = {
  jobId: string;
  candidateId: string;
  pipeline: unknown;
  state: string;
  error?: string | null;
  result?: TTrialSummary | null;
};

/** What the loop learns from a finished trial beyond its summary (read from its report and model). */
export type TTrialExtras = { sensitivity?: TSensitivityEntry[]; qdq?: TQdqCheck; originalLatencyMsP50?: number };

export type TTrialBackend = {
  /** Every trial of this tune job so far. */
  listTrials: () => Promise<TTrialRecord[]>;
  /** Creates (and queues) a trial; undefined when the coordinator lost its lease. Must be idempotent per candidate id. */
  createTrial: (candidate: TCandidate) => Promise<string | undefined>;
  /** Cancels queued/running trials (they keep nothing); finished ones are untouched. */
  cancelTrials: (jobIds: string[]) => Promise<void>;
  /** Reads the sensitivity table / QDQ structure of a succeeded trial. Called once per trial. */
  loadExtras: (trial: TTrialRecord) => Promise<TTrialExtras>;
};

export type TRunTuneSearchInput = {
  tuneJobId: string;
  goal: TTuneGoal;
  model: TModelTraits;
  backend: TTrialBackend;
  signal: AbortSignal;
  strategy?: TSearchStrategy;
  /** Trials queued or running at once (default 4): more trials in flight use more workers but stop less early. */
  maxParallelTrials?: number;
  pollIntervalMs?: number;
  /** When the tune job started (first claim), for the wall-time budget across restarts. */
  startedAtMs?: number;
  /** Rationale/round of trials created by an earlier attempt (from its live report). */
  knownTrials?: ReadonlyMap<string, { rationale: string; round: number }>;
  /** Called after every poll with the live report (the worker stores it on the Job row). */
  onProgress?: (p: { report: TTuneReport; finished: number; inFlight: number }) => Promise<void> | void;
  now?: () => number;
};

export type TTuneSearchOutcome = { report: TTuneReport; stoppedBecause: TTuneStopReason };

const ACTIVE_STATES: ReadonlySet<string> = new Set(["queued", "running"]);
/** A pending candidate must be expected to beat the incumbent by this share to keep searching. */
const IMPROVEMENT_MARGIN = 0.02;

/** Runs the search until a stop reason; throws the signal's reason when aborted (cancel, lost lease). */
export async function runTuneSearch(input: TRunTuneSearchInput): Promise<TTuneSearchOutcome> {
  const { goal, backend, signal } = input;
  const strategy = input.strategy ?? createSearchStrategy();
  const maxParallel = input.maxParallelTrials ?? 4;
  const pollMs = input.pollIntervalMs ?? 1000;
  const now = input.now ?? Date.now;
  const startedAtMs = input.startedAtMs ?? now();
  const meta = new Map(input.knownTrials ?? []);
  const estimates = new Map<string, TCandidate["estimate"]>();
  const extras = new Map<string, TTrialExtras>();
  let originalLatencyMsP50: number | undefined;
  const originalSizeBytes = input.model.sizeBytes;

  const toInputs = (records: TTrialRecord[]): TTrialInput[] =>
    records.map((r) => ({
      jobId: r.jobId,
      candidateId: r.candidateId,
      rationale: meta.get(r.candidateId)?.rationale ?? "",
      round: meta.get(r.candidateId)?.round ?? 0,
      pipeline: r.pipeline,
      state: r.state,
      error: r.error ?? null,
      result: r.result ?? null,
      qdq: extras.get(r.jobId)?.qdq,
    }));
  const report = (records: TTrialRecord[], stoppedBecause: TTuneStopReason) =>
    buildTuneReport({
      tuneJobId: input.tuneJobId,
      goal,
      original: { sizeBytes: originalSizeBytes, ...(originalLatencyMsP50 !== undefined ? { latencyMsP50: originalLatencyMsP50 } : {}) },
      trials: toInputs(records),
      stoppedBecause,
    });

  for (;;) {
    throwIfAborted(signal);
    const records = await backend.listTrials();
    for (const r of records) {
      if (r.state === "succeeded" && !extras.has(r.jobId)) {
        const e = await backend.loadExtras(r).catch(() => ({}) as TTrialExtras);
        extras.set(r.jobId, e);
        if (e.originalLatencyMsP50 !== undefined) originalLatencyMsP50 ??= e.originalLatencyMsP50;
      }
    }
    const evaluated: TStrategyTrial[] = toInputs(records).map((t) => ({ ...evaluateTrial(t, goal), sensitivity: extras.get(t.jobId)?.sensitivity }));
    const proposals = strategy.proposeCandidates({ goal, model: input.model, trials: evaluated });
    for (const c of proposals) {
      if (!meta.has(c.id)) meta.set(c.id, { rationale: c.rationale, round: c.round });
      if (!estimates.has(c.id)) estimates.set(c.id, c.estimate);
    }
    const tried = new Set(records.map((r) => r.candidateId));
    const pending = dedupeById(proposals.filter((c) => !tried.has(c.id)));
    const active = records.filter((r) => ACTIVE_STATES.has(r.state));
    const finished = records.length - active.length;

    const incumbent = evaluated.filter((t) => t.meetsGoal).sort((a, b) => scoreObjective(a, goal.objective) - scoreObjective(b, goal.objective))[0];
    const live = report(records, "running");
    await input.onProgress?.({ report: live, finished, inFlight: active.length });

    // Stop rules, in order: time, goal met with nothing promising left, trials exhausted.
    if (goal.budget.maxWallSeconds !== undefined && now() - startedAtMs >= goal.budget.maxWallSeconds * 1000) {
      await backend.cancelTrials(active.map((r) => r.jobId));
      return finish(backend, report, "time-budget");
    }
    const budgetLeft = goal.budget.maxTrials - records.length;
    const promising = (id: string) => {
      if (!incumbent) return true;
      const e = estimates.get(id);
      if (!e) return true;
      return scoreObjective({ sizeRatio: e.sizeRatio, latencyRatioP50: e.latencyRatio }, goal.objective) < scoreObjective(incumbent, goal.objective) * (1 - IMPROVEMENT_MARGIN);
    };
    const promisingPending = pending.filter((c) => promising(c.id));
    const promisingActive = active.filter((r) => promising(r.candidateId));
    if (incumbent && promisingActive.length === 0 && (promisingPending.length === 0 || budgetLeft <= 0)) {
      // Trials still in flight were not expected to beat the recommendation: free their workers.
      await backend.cancelTrials(active.map((r) => r.jobId));
      return finish(backend, report, "goal-met");
    }
    if (active.length === 0 && (pending.length === 0 || budgetLeft <= 0)) {
      return finish(backend, report, budgetLeft <= 0 ? "trial-budget" : "exhausted");
    }

    // Fill free slots, best candidates first; once the goal is met, only candidates that could beat it.
    const toStart = (incumbent ? promisingPending : pending).slice(0, Math.max(0, Math.min(maxParallel - active.length, budgetLeft)));
    for (const c of toStart) {
      throwIfAborted(signal);
      const id = await backend.createTrial(c);
      if (id === undefined) throwIfAborted(signal);
    }
    if (toStart.length === 0 || active.length + toStart.length >= maxParallel) await sleep(pollMs, signal);
  }

  async function finish(b: TTrialBackend, build: typeof report, reason: TTuneStopReason): Promise<TTuneSearchOutcome> {
    const records = await b.listTrials();
    // Canceled trials are final; anything else that still shows as active is reported as canceled by now.
    return { report: build(records.map((r) => (ACTIVE_STATES.has(r.state) ? { ...r, state: "canceled" } : r)), reason), stoppedBecause: reason };
  }
}

function dedupeById(cs: TCandidate[]): TCandidate[] {
  const seen = new Set<string>();
  return cs.filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("tune search aborted");
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
