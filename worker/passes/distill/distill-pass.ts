/**
 * The `distill` pipeline pass: the model the step receives is the student (typically the output of
 * prune-channels), the uploaded model is the teacher. Inputs come from the user's calibration data (labels used
 * when present) or, failing that, inputs generated from the signature. Progress shows step, loss and the held-out
 * fidelity after each epoch.
 */
import type { TPassHandler } from "../../pipeline/pass-registry";
import type { TModelProto } from "../../onnx/onnx-proto";
import type { TStepProgress } from "../../train/train-loop";
import { probeValueShapes } from "../../train/autodiff/probe-shapes";
import { DEFAULT_DISTILL_SETTINGS, checkSameInterface, collectSamples, distillModel } from "./distill-model";
import { reduceDepth, type TDepthReduction } from "./reduce-depth";

/** Least time between two step reports (the job page polls; a step can take under a millisecond). */
export const PROGRESS_INTERVAL_MS = 250;

/**
 * A student model the user uploaded, resolved by the worker from the `studentModelId` option before the pipeline
 * runs (the platform wiring is outside this pass: it is not yet a field of TPassContext).
 */
export type TDistillStudentContext = { student?: { model: TModelProto; name: string } };

/**
 * Stage text of the job page, e.g. "step 120/400 · loss 0.0123 · eval cosine 0.9620" (the pipeline runner puts
 * "distilling: " in front).
 */
export function formatDistillStage(p: Pick<TStepProgress, "step" | "totalSteps" | "loss">, evalText?: string): string {
  return [`step ${p.step + 1}/${p.totalSteps}`, `loss ${formatLoss(p.loss)}`, ...(evalText ? [evalText] : [])].join(" · ");
}

function formatLoss(v: number): string {
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2);
}

/** Returns a function that is true at most once per `intervalMs` (the first call is true). */
export function createProgressThrottle(intervalMs: number, now: () => number = () => performance.now()): () => boolean {
  let lastMs = -Infinity;
  return () => {
    const t = now();
    if (t - lastMs < intervalMs) return false;
    lastMs = t;
    return true;
  };
}

/**
 * The student: an uploaded model (same inputs and outputs as the teacher, else AppError BAD_INPUT) or the model this
 * step receives (the teacher after earlier steps such as prune-channels). `reducesDepth`: the pass itself shrinks
 * the student (dropRepeatedBlocks), so an unchanged model is a fine starting point.
 */
export function selectDistillStudent(
  received: TModelProto,
  isTransformed: boolean,
  uploaded: TDistillStudentContext["student"],
  teacher?: TModelProto,
  opts: { reducesDepth?: boolean } = {},
): { model: TModelProto; description: string; warnings: string[] } {
  if (uploaded) {
    if (teacher) checkSameInterface(teacher, uploaded.model);
    const warnings = isTransformed ? ["an uploaded student was given: the output of the steps before distill was not used"] : [];
    return { model: uploaded.model, description: `uploaded student "${uploaded.name}"`, warnings };
  }
  if (!isTransformed) {
    return {
      model: received,
      description: "uploaded model",
      warnings: opts.reducesDepth
        ? []
        : ["distill ran on the unchanged model (teacher = student): put a step that shrinks the model (e.g. prune-channels) before it"],
    };
  }
  return { model: received, description: "output of the previous steps", warnings: [] };
}

export const DISTILL_PASS: TPassHandler<"distill"> = {
  pass: "distill",
  stage: "distilling",
  progressWeight: 10,
  run: async (model, ctx) => {
    const o = ctx.options;
    const warnings: string[] = [];
    const student = selectDistillStudent(model, ctx.isTransformed, ctx.student, ctx.original.model, { reducesDepth: o.dropRepeatedBlocks > 0 });
    warnings.push(...student.warnings);
    const source = ctx.calibration ?? ctx.fallbackCalibration;
    if (!ctx.calibration) {
      warnings.push("distillation used generated inputs (no calibration data was given): fidelity on real inputs may differ; upload representative inputs");
    }
    ctx.reportProgress(0, "reading training samples");
    const { inputs, labels } = await collectSamples(source, o.maxSamples, ctx.signal);
    let studentModel = student.model;
    let depthReduction: Omit<TDepthReduction, "model"> | undefined;
    if (o.dropRepeatedBlocks > 0) {
      ctx.reportProgress(0, "finding repeated blocks for a depth-reduced student");
      // Shapes at batch 1 tell which repeated blocks keep their input's shape (only those can be removed).
      const feedShapes = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, [1, ...t.dims.slice(1)]]));
      const { model: reduced, ...summary } = reduceDepth(studentModel, await probeValueShapes(studentModel, feedShapes), o.dropRepeatedBlocks);
      studentModel = reduced;
      depthReduction = summary;
      ctx.logger?.info({ blocksBefore: summary.blocksBefore, blocksAfter: summary.blocksAfter }, "depth-reduced student");
    }
    const studentDescription = depthReduction
      ? `${student.description}, ${depthReduction.blocksBefore - depthReduction.blocksAfter} of ${depthReduction.blocksBefore} repeated blocks removed`
      : student.description;
    const throttle = createProgressThrottle(PROGRESS_INTERVAL_MS);
    let evalText: string | undefined;
    let last: TStepProgress | undefined;
    const r = await distillModel({
      teacher: ctx.original.model,
      student: studentModel,
      inputs,
      labels,
      settings: {
        ...DEFAULT_DISTILL_SETTINGS,
        epochs: o.epochs,
        batchSize: o.batchSize,
        lr: o.lr,
        temperature: o.temperature,
        alpha: o.alpha,
        holdoutFraction: o.holdoutFraction,
        patience: o.patience,
        seed: o.seed,
        features: o.features,
        attentionWeight: o.attentionWeight,
      },
      signal: ctx.signal,
      onStep: (p) => {
        last = p;
        // A step takes milliseconds on small models: report at most a few times a second, and always the last one.
        if (throttle() || p.step + 1 === p.totalSteps) ctx.reportProgress((p.step + 1) / p.totalSteps, formatDistillStage(p, evalText));
      },
      onEpoch: (epoch, e) => {
        evalText = e.top1Agreement !== undefined ? `eval top-1 agreement ${(e.top1Agreement * 100).toFixed(1)}%` : `eval cosine ${e.cosine.toFixed(4)}`;
        ctx.logger?.info({ epoch, cosine: e.cosine, top1Agreement: e.top1Agreement }, "distill epoch");
        if (last) ctx.reportProgress((last.step + 1) / last.totalSteps, formatDistillStage(last, evalText));
      },
    });
    const rep = r.report;
    if (rep.keptUntrained) {
      warnings.push(
        `distillation did not improve the student's held-out fidelity to the teacher (cosine ${rep.before.cosine.toFixed(4)} before training): it is passed on untrained; try more epochs, a lower lr or representative data`,
      );
    }
    const distillation = {
      teacher: "uploaded model",
      student: studentDescription,
      ...(depthReduction ? { depthReduction } : {}),
      data: source.description,
      labelled: labels !== undefined,
      settings: o,
      ...rep,
      before: { cosine: rep.before.cosine, snrDb: rep.before.snrDb, top1Agreement: rep.before.top1Agreement },
      after: { cosine: rep.after.cosine, snrDb: rep.after.snrDb, top1Agreement: rep.after.top1Agreement },
    };
    return {
      model: r.model,
      warnings,
      report: { distillation },
      stats: {
        steps: rep.steps,
        epochsRun: rep.epochsRun,
        cosineBefore: rep.before.cosine,
        cosineAfter: rep.after.cosine,
        top1AgreementBefore: rep.before.top1Agreement,
        top1AgreementAfter: rep.after.top1Agreement,
      },
    };
  },
};
