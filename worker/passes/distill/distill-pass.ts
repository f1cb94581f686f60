/**
 * The `distill` pipeline pass: the model the step receives is the student (typically the output of
 * prune-channels), the uploaded model is the teacher. Inputs come from the user's calibration data (labels used
 * when present) or, failing that, inputs generated from the signature. Progress shows step, loss and the held-out
 * fidelity after each epoch.
 */
import type { TPassHandler } from "../../pipeline/pass-registry";
import { DEFAULT_DISTILL_SETTINGS, collectSamples, distillModel } from "./distill-model";

export const DISTILL_PASS: TPassHandler<"distill"> = {
  pass: "distill",
  stage: "distilling",
  progressWeight: 10,
  run: async (model, ctx) => {
    const o = ctx.options;
    const warnings: string[] = [];
    if (!ctx.isTransformed) {
      warnings.push("distill ran on the unchanged model (teacher = student): put a step that shrinks the model (e.g. prune-channels) before it");
    }
    const source = ctx.calibration ?? ctx.fallbackCalibration;
    if (!ctx.calibration) {
      warnings.push("distillation used generated inputs (no calibration data was given): fidelity on real inputs may differ; upload representative inputs");
    }
    ctx.reportProgress(0, "reading training samples");
    const { inputs, labels } = await collectSamples(source, o.maxSamples, ctx.signal);
    const stageOf = (step: number, total: number, loss: number) => `distilling: step ${step}/${total}, loss ${loss.toPrecision(4)}`;
    let lastStage = "";
    const r = await distillModel({
      teacher: ctx.original.model,
      student: model,
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
      },
      signal: ctx.signal,
      onStep: (p) => {
        lastStage = stageOf(p.step + 1, p.totalSteps, p.loss);
        ctx.reportProgress((p.step + 1) / p.totalSteps, lastStage);
      },
      onEpoch: (epoch, e) => {
        const fidelity = e.top1Agreement !== undefined ? `top-1 agreement ${(e.top1Agreement * 100).toFixed(1)}%` : `cosine ${e.cosine.toFixed(4)}`;
        ctx.logger?.info({ epoch, cosine: e.cosine, top1Agreement: e.top1Agreement }, "distill epoch");
        ctx.reportProgress(Math.min(1, (epoch + 1) / o.epochs), `${lastStage}; epoch ${epoch + 1} held-out ${fidelity}`);
      },
    });
    const rep = r.report;
    const distillation = {
      teacher: "uploaded model",
      student: ctx.isTransformed ? "output of the previous steps" : "uploaded model",
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
