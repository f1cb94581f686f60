/**
 * Search strategies of tune jobs: an interface plus a factory. A strategy is a pure function of what is known
 * (model traits, goal, finished trials with their reports' sensitivity tables) to the candidates worth running,
 * in priority order. The coordinator owns the budget, parallelism and stop rule; it skips candidates already run
 * (by id), so a strategy may propose the same candidate again and again: ids make that idempotent.
 */
import {
  ZClusterOptions,
  ZDistillOptions,
  ZFp16Options,
  ZInt4WeightOptions,
  ZInt8DynamicOptions,
  ZInt8StaticOptions,
  ZLowRankOptions,
  ZPruneChannelsOptions,
  ZPruneMagnitudeOptions,
  type TPipelineSpec,
  type TPipelineStep,
} from "../../contracts/pipeline";
import type { TSensitivityEntry } from "../../contracts/report";
import type { TTuneGoal, TTuneTrial } from "../../contracts/tune";
import { scoreObjective } from "./tune-selection";

/** What the strategy needs to know about the model (worker/tune/model-traits.ts computes it). */
export type TModelTraits = {
  sizeBytes: number;
  /** Conv nodes (prunable, static-int8 fast path). */
  convCount: number;
  /** MatMul + Gemm nodes (dynamic int8, int4, low-rank). */
  matmulCount: number;
  /** Weight elements of the largest MatMul/Gemm/Conv weight (low-rank/int4 only pay on big ones). */
  largestWeightElements: number;
};

/** Expected size and latency ratios of a candidate, used to order candidates and to decide when to stop. */
export type TCandidateEstimate = { sizeRatio: number; latencyRatio: number };

export type TCandidate = {
  /** Stable key, e.g. "int8-static", "int8-static/keep-4", "prune-channels/r0.2". */
  id: string;
  pipeline: TPipelineSpec;
  rationale: string;
  round: number;
  estimate: TCandidateEstimate;
};

/** A trial the strategy learns from: its evaluation and, for quantization trials, its sensitivity table. */
export type TStrategyTrial = TTuneTrial & { sensitivity?: TSensitivityEntry[] };

export type TStrategyContext = { goal: TTuneGoal; model: TModelTraits; trials: readonly TStrategyTrial[] };

export type TSearchStrategy = {
  readonly name: string;
  /** Every candidate worth running given what is known now, best first (already-run ones may be included). */
  proposeCandidates: (ctx: TStrategyContext) => TCandidate[];
};

export const SEARCH_STRATEGY_NAMES = ["presets-then-refine"] as const;
export type TSearchStrategyName = (typeof SEARCH_STRATEGY_NAMES)[number];

/** Creates a strategy by name. */
export function createSearchStrategy(name: TSearchStrategyName = "presets-then-refine"): TSearchStrategy {
  switch (name) {
    case "presets-then-refine":
      return { name, proposeCandidates: proposePresetsThenRefine };
  }
}

const step = {
  int8Static: (o: Partial<ReturnType<typeof ZInt8StaticOptions.parse>> = {}): TPipelineStep => ({ pass: "int8-static", options: ZInt8StaticOptions.parse(o) }),
  pruneChannels: (ratio: number): TPipelineStep => ({ pass: "prune-channels", options: ZPruneChannelsOptions.parse({ ratio }) }),
  lowRank: (energy: number): TPipelineStep => ({ pass: "low-rank", options: ZLowRankOptions.parse({ energy }) }),
  distill: (): TPipelineStep => ({ pass: "distill", options: ZDistillOptions.parse({ epochs: 6, patience: 3 }) }),
};

function pipelineOf(...steps: TPipelineStep[]): TPipelineSpec {
  return { steps };
}

/** Round 1: the presets that can apply to this model, with prior estimates measured on CPU (RECIPE.md, benches). */
export function proposeRoundOne(model: TModelTraits, objective: TTuneGoal["objective"]): TCandidate[] {
  const out: TCandidate[] = [];
  const add = (id: string, pipeline: TPipelineSpec, rationale: string, estimate: TCandidateEstimate) => out.push({ id, pipeline, rationale, round: 1, estimate });
  const quantizable = model.convCount + model.matmulCount > 0;
  const convHeavy = model.convCount >= model.matmulCount;
  if (quantizable) {
    add("int8-static", pipelineOf(step.int8Static()), "preset: static int8 (QDQ), the fast path on CPU; its sensitivity table drives mixed precision", {
      sizeRatio: 0.28,
      latencyRatio: convHeavy ? 0.75 : 0.9,
    });
  }
  if (model.convCount > 0) {
    add("max-speed", pipelineOf(step.pruneChannels(0.3), step.int8Static()), "preset: 30% channels pruned, then static int8", { sizeRatio: 0.2, latencyRatio: 0.55 });
    add("prune-channels", pipelineOf(step.pruneChannels(0.3)), "preset: 30% of channels removed (smaller dense model)", { sizeRatio: 0.55, latencyRatio: 0.75 });
  }
  if (model.largestWeightElements >= 4096) {
    add("low-rank", pipelineOf(step.lowRank(0.9)), "preset: low-rank factorization at 90% energy", { sizeRatio: 0.7, latencyRatio: 0.9 });
  }
  if (model.matmulCount > 0) {
    add("int8-dynamic", pipelineOf({ pass: "int8-dynamic", options: ZInt8DynamicOptions.parse({}) }), "preset: dynamic int8 for MatMul/Gemm layers", {
      sizeRatio: convHeavy ? 0.8 : 0.3,
      latencyRatio: convHeavy ? 1 : 0.85,
    });
    add("int4-weight", pipelineOf({ pass: "int4-weight", options: ZInt4WeightOptions.parse({}) }), "preset: 4-bit MatMul weights", {
      sizeRatio: convHeavy ? 0.8 : 0.2,
      latencyRatio: 1,
    });
  }
  add("fp16", pipelineOf({ pass: "fp16", options: ZFp16Options.parse({}) }), "preset: float16 weights and compute", { sizeRatio: 0.5, latencyRatio: 1.1 });
  if (objective !== "latency") {
    add("cluster", pipelineOf({ pass: "cluster", options: ZClusterOptions.parse({}) }), "preset: k-means weight sharing (size only)", { sizeRatio: 0.3, latencyRatio: 1.05 });
    add(
      "max-compression",
      pipelineOf({ pass: "prune-magnitude", options: ZPruneMagnitudeOptions.parse({ storage: "dense" }) }, { pass: "cluster", options: ZClusterOptions.parse({}) }),
      "preset: 50% magnitude pruning then weight sharing (smallest file)",
      { sizeRatio: 0.25, latencyRatio: 1.1 },
    );
  }
  return out.sort((a, b) => scoreObjective(toScored(a.estimate), objective) - scoreObjective(toScored(b.estimate), objective));
}

function toScored(e: TCandidateEstimate) {
  return { sizeRatio: e.sizeRatio, latencyRatio: e.latencyRatio, latencyRatioP50: e.latencyRatio };
}

/** The measured numbers of a finished trial, as an estimate for candidates derived from it. */
function measured(t: TTuneTrial, tweak: Partial<TCandidateEstimate> = {}): TCandidateEstimate {
  return { sizeRatio: t.sizeRatio ?? 1, latencyRatio: t.latencyRatioP50 ?? 1, ...tweak };
}

/** Layers to keep in float for mixed precision: the most sensitive Conv/MatMul/Gemm nodes of the table. */
export function pickSensitiveNodes(sensitivity: readonly TSensitivityEntry[] | undefined, k: number): string[] | undefined {
  if (!sensitivity || sensitivity.length === 0) return undefined;
  return [...sensitivity].sort((a, b) => a.cosine - b.cosine).slice(0, k).map((e) => e.node);
}

/**
 * Round 2+: refinements of finished round-1 trials.
 * - int8-static below the floor: mixed precision (top-k sensitive layers in float, from its sensitivity table),
 *   then calibration variants (entropy, min-max); at the floor: a lower fallback target, and HardSwish in QDQ form.
 * - prune-channels: lower ratios (and distillation) when it lost fidelity, higher ones when it kept it.
 * - low-rank: energy sweep in the direction the floor asks for.
 * - max-speed below the floor: the pruning ratio and the exclusions that worked on their own, combined.
 */
export function proposeRefinements(ctx: TStrategyContext): TCandidate[] {
  const { goal } = ctx;
  const byId = new Map(ctx.trials.map((t) => [t.candidateId, t]));
  const done = (id: string) => {
    const t = byId.get(id);
    return t && t.state === "succeeded" ? t : undefined;
  };
  const out: TCandidate[] = [];
  const add = (c: Omit<TCandidate, "round">, round = 2) => out.push({ ...c, round });
  const meets = (t: TTuneTrial | undefined) => !!t && t.meetsFloor;

  const int8 = done("int8-static");
  if (int8 && !meets(int8)) {
    for (const k of [4, 8, 16]) {
      const nodes = pickSensitiveNodes(int8.sensitivity, k);
      const options = nodes ? { nodesToExclude: nodes } : { sensitiveNodesToKeepFloat: k };
      add({
        id: `int8-static/keep-${k}`,
        pipeline: pipelineOf(step.int8Static(options)),
        rationale: `mixed precision: the ${k} most sensitive layers of the int8-static trial stay float (${nodes ? "from its sensitivity table" : "measured by the pass"})`,
        estimate: measured(int8, { latencyRatio: (int8.latencyRatioP50 ?? 1) * (1 + 0.02 * k), sizeRatio: (int8.sizeRatio ?? 1) * (1 + 0.01 * k) }),
      });
    }
    for (const method of ["entropy", "minmax"] as const) {
      add({
        id: `int8-static/${method}`,
        pipeline: pipelineOf(step.int8Static({ calibrationMethod: method })),
        rationale: `calibration variant: ${method} activation ranges instead of percentile`,
        estimate: measured(int8),
      });
    }
  }

  // The preset keeps layers in float until its own cosine target (0.995) is met, which can cost much of the
  // speed-up. When it kept the floor, quantize more: aim the pass at the user's floor (plus a small margin, since the
  // pass checks on calibration batches and the trial is judged on evaluation data), with each calibration method.
  if (int8 && meets(int8) && goal.floor.metric === "cosine" && goal.floor.min < 0.995) {
    const fidelityTarget = Math.min(0.995, Math.max(0, goal.floor.min + 0.002));
    for (const method of ["percentile", "minmax", "entropy"] as const) {
      add({
        id: `int8-static/${method}@${fidelityTarget}`,
        pipeline: pipelineOf(step.int8Static({ calibrationMethod: method, fidelityTarget })),
        rationale: `int8-static kept the floor: aim its float fallback at cosine ${fidelityTarget} instead of 0.995 (${method} calibration), so fewer layers stay float`,
        estimate: measured(int8, { latencyRatio: (int8.latencyRatioP50 ?? 1) * 0.85, sizeRatio: (int8.sizeRatio ?? 1) * 0.95 }),
      });
    }
  }

  // HardSwish in QDQ form is faster on hard-swish CNNs (PP-OCRv4 det 0.66–0.70 vs 0.67–0.79 of fp32 in the bench)
  // but quantizes more tensors, so on some models the pass keeps more layers float: a trial decides per model.
  if (int8 && meets(int8) && goal.objective !== "size") {
    const opTypesToQuantize = [...ZInt8StaticOptions.parse({}).opTypesToQuantize, "HardSwish"];
    add({
      id: "int8-static/hardswish",
      pipeline: pipelineOf(step.int8Static({ opTypesToQuantize })),
      rationale: "int8-static with HardSwish rewritten as QLinearAdd/QLinearMul instead of running in float between DQ and Q",
      estimate: measured(int8, { latencyRatio: (int8.latencyRatioP50 ?? 1) * 0.93 }),
    });
  }

  const prune = done("prune-channels");
  if (prune) {
    const ratios = meets(prune) ? [0.45, 0.6] : [0.2, 0.1];
    for (const r of ratios) {
      add({
        id: `prune-channels/r${r}`,
        pipeline: pipelineOf(step.pruneChannels(r)),
        rationale: meets(prune) ? `pruning sweep: 30% kept the floor, try ${r * 100}%` : `pruning sweep: 30% lost the floor, try ${r * 100}%`,
        estimate: measured(prune, { latencyRatio: 1 - (1 - (prune.latencyRatioP50 ?? 0.75)) * (r / 0.3), sizeRatio: 1 - (1 - (prune.sizeRatio ?? 0.55)) * (r / 0.3) }),
      });
    }
    if (!meets(prune)) {
      add({
        id: "prune-channels/r0.3+distill",
        pipeline: pipelineOf(step.pruneChannels(0.3), step.distill()),
        rationale: "distillation fine-tuning to recover the fidelity 30% channel pruning lost",
        estimate: measured(prune),
      });
    }
  }

  const lowRank = done("low-rank");
  if (lowRank) {
    for (const e of meets(lowRank) ? [0.8, 0.7] : [0.95, 0.98]) {
      add({
        id: `low-rank/e${e}`,
        pipeline: pipelineOf(step.lowRank(e)),
        rationale: `low-rank energy sweep: ${e * 100}% energy (90% ${meets(lowRank) ? "kept" : "lost"} the floor)`,
        estimate: measured(lowRank, { sizeRatio: Math.min(1, (lowRank.sizeRatio ?? 0.7) * (e / 0.9)), latencyRatio: Math.min(1, (lowRank.latencyRatioP50 ?? 0.9) * (e / 0.9)) }),
      });
    }
  }

  // Combine what worked separately: the largest pruning ratio that kept the floor, then the int8 variant that did.
  const maxSpeed = done("max-speed");
  // Only once both halves were measured alone (their refinements may still run: they add options, not evidence).
  const halvesMeasured = isFinished(byId.get("prune-channels")) && isFinished(byId.get("int8-static"));
  if (maxSpeed && !meets(maxSpeed) && halvesMeasured) {
    const okPrune = ctx.trials
      .filter((t) => t.state === "succeeded" && t.meetsFloor && /^prune-channels(\/r[0-9.]+)?$/.test(t.candidateId))
      .map((t) => ({ t, ratio: t.candidateId === "prune-channels" ? 0.3 : Number(t.candidateId.slice("prune-channels/r".length)) }))
      .sort((a, b) => b.ratio - a.ratio)[0];
    const okInt8 = ctx.trials
      .filter((t) => t.state === "succeeded" && t.meetsFloor && t.candidateId.startsWith("int8-static"))
      .sort((a, b) => (a.latencyRatioP50 ?? 1) - (b.latencyRatioP50 ?? 1))[0];
    const ratio = okPrune?.ratio ?? 0.1;
    const int8Options = okInt8 ? findInt8Options(okInt8.pipeline) : { sensitiveNodesToKeepFloat: 4 };
    const int8Label = okInt8 ? okInt8.candidateId : "int8-static/keep-4";
    add(
      {
        id: `prune-channels/r${ratio}>${int8Label}`,
        pipeline: pipelineOf(step.pruneChannels(ratio), step.int8Static(int8Options)),
        rationale: `max-speed lost the floor: combine ${ratio * 100}% pruning${okPrune ? " (kept the floor alone)" : ""} with ${int8Label}${okInt8 ? " (kept the floor alone)" : ""}`,
        estimate: measured(maxSpeed, { latencyRatio: (maxSpeed.latencyRatioP50 ?? 0.55) * 1.15 }),
      },
      3,
    );
  }
  return out;
}

function isFinished(t: TTuneTrial | undefined): boolean {
  return !!t && !["queued", "running"].includes(t.state);
}

function findInt8Options(pipeline: unknown): Partial<ReturnType<typeof ZInt8StaticOptions.parse>> {
  const steps = (pipeline as TPipelineSpec | undefined)?.steps ?? [];
  const s = steps.find((x) => x.pass === "int8-static");
  return s && s.pass === "int8-static" ? s.options : {};
}

function proposePresetsThenRefine(ctx: TStrategyContext): TCandidate[] {
  const refinements = proposeRefinements(ctx).sort(
    (a, b) => scoreObjective(toScored(a.estimate), ctx.goal.objective) - scoreObjective(toScored(b.estimate), ctx.goal.objective),
  );
  // Refinements of measured trials first: they are informed guesses; unmeasured presets follow.
  return [...refinements, ...proposeRoundOne(ctx.model, ctx.goal.objective)];
}
