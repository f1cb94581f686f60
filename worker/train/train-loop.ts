/**
 * The training loop: seeded shuffling into fixed-size batches, gradient clipping, an optimizer step with a
 * scheduled learning rate, a progress callback per step, cancellation between steps and an optional evaluation
 * hook per epoch that can keep the best parameters (early stopping).
 */
import { throwIfAborted } from "../pipeline/abort";
import { clipGradientsByGlobalNorm, computeLearningRate, createOptimizer, type TOptimizerOptions } from "./optimizers";
import { createRandom, shuffleIndices } from "./random";
import { gatherRows, type TSampleTable } from "./sample-table";
import type { TrainingSession } from "./training-session";

export type TStepProgress = { step: number; totalSteps: number; epoch: number; loss: number; termLosses: number[]; lr: number; gradNorm: number };

export type TTrainLoopOptions = {
  epochs: number;
  seed: number;
  lr: number;
  warmupSteps?: number;
  minLrRatio?: number;
  optimizer: TOptimizerOptions;
  /** Gradient clipping by global norm (Infinity: off). */
  maxGradNorm?: number;
  signal?: AbortSignal;
  onStep?: (p: TStepProgress) => void;
  /** Called after each epoch; return a score (higher is better) to keep the best parameters, and stop=true to end early. */
  evaluate?: (epoch: number) => Promise<{ score: number; stop?: boolean }>;
};

export type TTrainLoopResult = { steps: number; epochsRun: number; losses: number[]; bestScore?: number; bestEpoch?: number };

/** Trains `session.params` in place on `table` (every column is fed; rows beyond a whole batch are skipped per epoch). */
export async function runTrainingLoop(session: TrainingSession, table: TSampleTable, opts: TTrainLoopOptions): Promise<TTrainLoopResult> {
  const batchSize = Object.values(session.graph.feedShapes)[0]?.[0] ?? session.graph.targets[0]!.dims[0]!;
  const stepsPerEpoch = Math.floor(table.count / batchSize);
  if (stepsPerEpoch === 0) throw new Error(`training needs at least one full batch (${batchSize} samples), got ${table.count}`);
  const totalSteps = stepsPerEpoch * opts.epochs;
  const decayed = new Set(session.graph.params.filter((p) => p.dims.length >= 2).map((p) => p.name));
  const optimizer = createOptimizer(opts.optimizer, decayed);
  const random = createRandom(opts.seed);
  const losses: number[] = [];
  let best: { score: number; epoch: number; params: Map<string, Float32Array> } | undefined;
  let step = 0;
  let epochsRun = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = shuffleIndices(table.count, random);
    for (let s = 0; s < stepsPerEpoch; s++) {
      throwIfAborted(opts.signal);
      const feeds = gatherRows(table, order.subarray(s * batchSize, (s + 1) * batchSize));
      const result = await session.computeGradients(feeds);
      const gradNorm = clipGradientsByGlobalNorm(result.grads, opts.maxGradNorm ?? Infinity);
      const lr = computeLearningRate(step, { baseLr: opts.lr, warmupSteps: opts.warmupSteps ?? 0, totalSteps, minLrRatio: opts.minLrRatio ?? 0 });
      optimizer.step(session.params, result.grads, lr);
      losses.push(result.loss);
      opts.onStep?.({ step, totalSteps, epoch, loss: result.loss, termLosses: result.termLosses, lr, gradNorm });
      step++;
    }
    epochsRun++;
    if (opts.evaluate) {
      const { score, stop } = await opts.evaluate(epoch);
      if (!best || score > best.score) best = { score, epoch, params: new Map([...session.params].map(([k, v]) => [k, Float32Array.from(v)])) };
      if (stop) break;
    }
  }
  if (best) for (const [k, v] of best.params) session.params.get(k)!.set(v);
  return { steps: step, epochsRun, losses, bestScore: best?.score, bestEpoch: best?.epoch };
}
