/**
 * Knowledge distillation: trains a student (the pruned teacher, or any model with the teacher's inputs and
 * outputs) to reproduce the teacher. Class-score outputs get T²·KL between temperature-softened teacher and student
 * distributions (plus cross-entropy with labels when given, weighted 1 − alpha); other outputs get MSE. Feature
 * MSE between named intermediate tensors is optional. Teacher outputs on the user's (unlabelled) inputs are the
 * targets. A seeded held-out split measures fidelity to the teacher after each epoch; the best epoch is kept.
 */
import { AppError } from "../../../contracts/app-error";
import type { TOutputFidelity } from "../../../contracts/report";
import type { TDataSource } from "../../data/data-source";
import type { THostTensor } from "../../data/host-tensor";
import { FidelityAccumulator, looksLikeClassScores, summarizeFidelity } from "../../evaluate/fidelity";
import { OnnxGraph } from "../../onnx/graph";
import { encodeModel } from "../../onnx/model-io";
import type { TModelProto } from "../../onnx/onnx-proto";
import { createInferenceSession, type TRuntimeTensor } from "../../runtime/ort";
import { throwIfAborted } from "../../pipeline/abort";
import { buildTrainingGraph } from "../../train/autodiff/build-training-graph";
import { probeValueShapes } from "../../train/autodiff/probe-shapes";
import { addFeatureAdapters, findAttentionPairs, planFeatureTerms, removeFeatureAdapters, type TFeaturePair, type TFeatureTerm } from "./feature-terms";
import type { TLossTerm } from "../../train/autodiff/loss-terms";
import { createRandom, shuffleIndices } from "../../train/random";
import { createSampleTable, gatherRows, sliceTable, type TSampleTable } from "../../train/sample-table";
import { runTrainingLoop, type TStepProgress } from "../../train/train-loop";
import { TrainingSession } from "../../train/training-session";

export type TDistillSettings = {
  epochs: number;
  batchSize: number;
  lr: number;
  temperature: number;
  /** Weight of the distillation term; 1 − alpha goes to cross-entropy with labels when labels are given. */
  alpha: number;
  seed: number;
  /** Share of samples held out to measure fidelity (and pick the best epoch). */
  holdoutFraction: number;
  warmupSteps: number;
  /** Stop after this many epochs without a better held-out score. */
  patience: number;
  /**
   * Feature distillation: MSE between a teacher and a student tensor. When their widths differ along the channel
   * axis (1) or the last axis, a learned 1×1 Conv / MatMul adapter maps the student tensor first (dropped on export).
   */
  features?: TFeaturePair[];
  /** Attention distillation: weight of the MSE between matching inner Softmax outputs (0 or absent: off). */
  attentionWeight?: number;
};

/**
 * Exact rewrites distillation applies to the student before differentiating (BatchNorm folded into Conv, hard-swish
 * patterns fused): the same function with fewer nodes to run and differentiate; the distilled model keeps them.
 */
export const DISTILL_GRAPH_REWRITES = { foldBatchNorm: true, fuseHardSwish: true } as const;

export const DEFAULT_DISTILL_SETTINGS: TDistillSettings = {
  epochs: 10,
  batchSize: 32,
  lr: 2e-3,
  temperature: 4,
  alpha: 0.7,
  seed: 1,
  holdoutFraction: 0.15,
  warmupSteps: 10,
  patience: 4,
};

/** Held-out fidelity of the student to the teacher. */
export type TDistillEval = { cosine: number; snrDb: number; top1Agreement?: number; outputs: TOutputFidelity[] };

export type TDistillReport = {
  steps: number;
  epochsRun: number;
  bestEpoch?: number;
  trainSamples: number;
  holdoutSamples: number;
  batchSize: number;
  losses: string[];
  /** Training loss, subsampled to at most 100 points. */
  lossCurve: { step: number; loss: number }[];
  before: TDistillEval;
  after: TDistillEval;
  /** Per-epoch held-out score (top-1 agreement for class scores, else cosine). */
  epochScores: number[];
  /**
   * True when training left the student further from the teacher on the held-out split (lower score and lower
   * cosine): the untrained student is returned, since a distill step must never make its input worse.
   */
  keptUntrained: boolean;
  trainMs: number;
  msPerStep: number;
  /** Mean of each loss term over the first and the last epoch run (how much each part of the loss came down). */
  terms: { term: string; firstEpoch: number; lastEpoch: number }[];
  /** Feature pairs trained, with the adapter each needed. */
  features: { teacher: string; student: string; weight: number; adapter?: string }[];
  /** Attention pairs trained (teacher ↔ student Softmax outputs) and those left out for differing shapes. */
  attention?: { pairs: string[]; skipped: string[] };
};

export type TDistillInput = {
  teacher: TModelProto;
  student: TModelProto;
  /** Model inputs, all rows on axis 0 (see collectSamples for a TDataSource). */
  inputs: Record<string, THostTensor>;
  /** Integer class ids per row (optional). */
  labels?: Int32Array;
  settings: TDistillSettings;
  signal?: AbortSignal;
  onStep?: (p: TStepProgress) => void;
  onEpoch?: (epoch: number, evaluation: TDistillEval) => void;
};

/** Distils `teacher` into `student`; returns the trained student (same graph, new weights) and a report. */
export async function distillModel(input: TDistillInput): Promise<{ model: TModelProto; report: TDistillReport }> {
  const { teacher, student, settings } = input;
  checkSameInterface(teacher, student);
  const outputNames = teacher.graph!.output.map((o) => o.name ?? "");
  const count = Object.values(input.inputs)[0]?.dims[0] ?? 0;
  if (count < 4) throw new AppError("BAD_INPUT", { userMessage: `distillation needs at least 4 input samples, got ${count}` });

  // Distil logits, not probabilities: a Softmax output's input carries the teacher's "dark knowledge" unsquashed.
  const teacherLogits = outputNames.map((o) => findLogitsValue(teacher, o));
  const studentLogits = outputNames.map((o) => findLogitsValue(student, o));
  const features = settings.features ?? [];
  const attentionWeight = settings.attentionWeight ?? 0;
  let featureTerms: TFeatureTerm[] = [];
  let attention: { pairs: { teacher: string; student: string }[]; skipped: string[] } | undefined;
  let trainStudent = student;
  if (features.length > 0 || attentionWeight > 0) {
    // Shapes of every value at batch 1 validate the names and size the adapters before any training work.
    const probeFeeds = Object.fromEntries(Object.entries(input.inputs).map(([k, t]) => [k, [1, ...t.dims.slice(1)]]));
    const teacherShapes = await probeValueShapes(teacher, probeFeeds);
    const studentShapes = await probeValueShapes(student, probeFeeds);
    featureTerms = planFeatureTerms(features, teacherShapes, studentShapes);
    if (attentionWeight > 0) attention = findAttentionPairs(teacher, student, teacherShapes, studentShapes);
    trainStudent = addFeatureAdapters(student, featureTerms, settings.seed + 29);
  }
  const teacherFetch = [
    ...new Set([...outputNames, ...teacherLogits, ...featureTerms.map((f) => f.teacher), ...(attention?.pairs ?? []).map((p) => p.teacher)]),
  ];
  const teacherOut = await runBatched(teacher, input.inputs, teacherFetch, 64, input.signal);

  const random = createRandom(settings.seed + 17);
  const order = shuffleIndices(count, random);
  const holdoutCount = Math.max(1, Math.min(count - 2, Math.round(count * settings.holdoutFraction)));
  const holdoutIdx = order.subarray(0, holdoutCount);
  const trainIdx = order.subarray(holdoutCount);
  const batchSize = Math.min(settings.batchSize, trainIdx.length);

  const losses: TLossTerm[] = [];
  const targetSource: string[] = [];
  outputNames.forEach((o, i) => {
    const shape = teacherOut[teacherLogits[i]!]!;
    const isClass = looksLikeClassScores(shape);
    if (isClass) {
      const labelled = input.labels && i === outputNames.findIndex((_, k) => looksLikeClassScores(teacherOut[teacherLogits[k]!]!));
      losses.push({ kind: "kl-distill", output: studentLogits[i]!, temperature: settings.temperature, weight: labelled ? settings.alpha : 1 });
      targetSource.push(teacherLogits[i]!);
      if (labelled) {
        losses.push({ kind: "cross-entropy", output: studentLogits[i]!, weight: 1 - settings.alpha });
        targetSource.push("__labels__");
      }
    } else {
      losses.push({ kind: "mse", output: o, weight: 1 });
      targetSource.push(o);
    }
  });
  for (const f of featureTerms) {
    losses.push({ kind: "mse", output: f.output, weight: f.weight });
    targetSource.push(f.teacher);
  }
  for (const p of attention?.pairs ?? []) {
    losses.push({ kind: "mse", output: p.student, weight: attentionWeight / attention!.pairs.length });
    targetSource.push(p.teacher);
  }

  const feedShapes = Object.fromEntries(Object.entries(input.inputs).map(([k, t]) => [k, [batchSize, ...t.dims.slice(1)]]));
  const graph = await buildTrainingGraph(trainStudent, { feedShapes, losses, ...DISTILL_GRAPH_REWRITES });
  const classes = teacherOut[teacherLogits[0]!]!.dims.at(-1)!;
  const columns: Record<string, THostTensor> = { ...input.inputs };
  graph.targets.forEach((t, i) => {
    const src = targetSource[i]!;
    columns[t.name] = src === "__labels__" ? oneHot(input.labels!, classes, t.dims) : teacherOut[src]!;
  });
  const table = createSampleTable([columns]);
  const trainTable = sliceTable(table, trainIdx);
  const holdoutInputs = gatherRows(createSampleTableView(input.inputs), holdoutIdx);
  const holdoutRef = gatherRows(createSampleTableView(Object.fromEntries(outputNames.map((o) => [o, teacherOut[o]!]))), holdoutIdx);

  const session = await TrainingSession.create(graph);
  try {
    const evaluate = async (model: TModelProto): Promise<TDistillEval> => {
      const got = await runBatched(model, holdoutInputs, outputNames, 64, input.signal);
      const acc = new FidelityAccumulator();
      acc.add(holdoutRef, got);
      const outputs = acc.results();
      const s = summarizeFidelity(outputs);
      const agreements = outputs.map((o) => o.top1Agreement).filter((v): v is number => v !== undefined);
      return { cosine: s.cosine, snrDb: s.snrDb, ...(agreements.length ? { top1Agreement: Math.min(...agreements) } : {}), outputs };
    };
    const before = await evaluate(student);
    const scoreOf = (e: TDistillEval) => (e.top1Agreement !== undefined ? e.top1Agreement + 1e-3 * e.cosine : e.cosine);
    const epochScores: number[] = [];
    const termSums: { steps: number; values: number[] }[] = [];
    let sinceBest = 0;
    let bestScore = -Infinity;
    const t0 = performance.now();
    const result = await runTrainingLoop(session, trainTable, {
      epochs: settings.epochs,
      seed: settings.seed,
      lr: settings.lr,
      warmupSteps: settings.warmupSteps,
      minLrRatio: 0.02,
      optimizer: { kind: "adamw", beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4 },
      maxGradNorm: 5,
      signal: input.signal,
      onStep: (p) => {
        const sums = termSums[p.epoch] ?? (termSums[p.epoch] = { steps: 0, values: p.termLosses.map(() => 0) });
        sums.steps++;
        p.termLosses.forEach((v, k) => (sums.values[k]! += v));
        input.onStep?.(p);
      },
      evaluate: async (epoch) => {
        const e = await evaluate(removeFeatureAdapters(session.exportModel()));
        const score = scoreOf(e);
        epochScores.push(score);
        input.onEpoch?.(epoch, e);
        if (score > bestScore) {
          bestScore = score;
          sinceBest = 0;
        } else sinceBest++;
        return { score, stop: sinceBest >= settings.patience };
      },
    });
    const trainMs = performance.now() - t0;
    const trained = removeFeatureAdapters(session.exportModel());
    const trainedEval = await evaluate(trained);
    // Worse on both the epoch score (top-1 agreement first) and cosine: a small held-out split can flip a few top-1
    // decisions while the outputs as a whole moved closer to the teacher, so one worse measure is not enough.
    const keptUntrained = scoreOf(trainedEval) < scoreOf(before) && trainedEval.cosine < before.cosine;
    const model = keptUntrained ? student : trained;
    const after = keptUntrained ? before : trainedEval;
    const stride = Math.max(1, Math.ceil(result.losses.length / 100));
    return {
      model,
      report: {
        steps: result.steps,
        epochsRun: result.epochsRun,
        bestEpoch: result.bestEpoch,
        trainSamples: trainIdx.length,
        holdoutSamples: holdoutCount,
        batchSize,
        losses: losses.map((l) => `${l.kind}(${l.output})×${l.weight}`),
        lossCurve: result.losses.flatMap((loss, step) => (step % stride === 0 || step === result.losses.length - 1 ? [{ step, loss }] : [])),
        before,
        after,
        epochScores,
        keptUntrained,
        trainMs: Math.round(trainMs),
        msPerStep: result.steps ? trainMs / result.steps : 0,
        terms: losses.map((l, k) => ({
          term: `${l.kind}(${l.output})`,
          firstEpoch: termSums[0] ? termSums[0].values[k]! / termSums[0].steps : NaN,
          lastEpoch: termSums.at(-1) ? termSums.at(-1)!.values[k]! / termSums.at(-1)!.steps : NaN,
        })),
        features: featureTerms.map((f) => ({
          teacher: f.teacher,
          student: f.student,
          weight: f.weight,
          ...(f.adapter ? { adapter: `${f.adapter.kind} ${f.adapter.studentWidth}→${f.adapter.teacherWidth}` } : {}),
        })),
        ...(attention ? { attention: { pairs: attention.pairs.map((p) => `${p.teacher} ↔ ${p.student}`), skipped: attention.skipped } } : {}),
      },
    };
  } finally {
    await session.release();
  }
}

/** Reads up to `maxSamples` rows of a data source into memory (distillation revisits them every epoch). */
export async function collectSamples(
  source: TDataSource,
  maxSamples: number,
  signal?: AbortSignal,
): Promise<{ inputs: Record<string, THostTensor>; labels?: Int32Array }> {
  const feeds: Record<string, THostTensor>[] = [];
  const labels: number[] = [];
  let rows = 0;
  for await (const batch of source.batches({ signal })) {
    throwIfAborted(signal);
    feeds.push(batch.feeds);
    if (batch.labels) for (const v of Array.from(batch.labels.data as ArrayLike<number | bigint>)) labels.push(Number(v));
    rows += batch.sampleCount;
    if (rows >= maxSamples) break;
  }
  const table = createSampleTable(feeds);
  const inputs = gatherRows(table, Array.from({ length: Math.min(rows, maxSamples) }, (_, i) => i));
  return { inputs, ...(source.hasLabels && labels.length >= rows ? { labels: Int32Array.from(labels.slice(0, Math.min(rows, maxSamples))) } : {}) };
}

/** Throws AppError BAD_INPUT unless `student` has the teacher's input and output names and element types. */
export function checkSameInterface(teacher: TModelProto, student: TModelProto): void {
  const values = (m: TModelProto, k: "input" | "output") => {
    const inits = new Set(m.graph!.initializer.map((t) => t.name));
    return new Map(m.graph![k].filter((v) => !inits.has(v.name)).map((v) => [v.name ?? "", v.type?.tensorType?.elemType]));
  };
  for (const k of ["input", "output"] as const) {
    const t = values(teacher, k);
    const s = values(student, k);
    const list = (m: Map<string, unknown>) => [...m.keys()].sort().join(", ");
    if (list(t) !== list(s)) {
      throw new AppError("BAD_INPUT", {
        userMessage: `the student model's ${k}s (${list(s)}) differ from the teacher's (${list(t)}); a student must have the same inputs and outputs`,
      });
    }
    for (const [name, type] of t) {
      const other = s.get(name);
      // Untyped outputs are allowed (onnxruntime infers them); declared types must agree.
      if (type !== undefined && other !== undefined && type !== other) {
        throw new AppError("BAD_INPUT", {
          userMessage: `the student's ${k} "${name}" has element type ${other}, the teacher's has ${type}; a student must take and produce the same tensor types`,
        });
      }
    }
  }
}

function findLogitsValue(model: TModelProto, output: string): string {
  const producer = new OnnxGraph(model.graph!).getProducer(output);
  const lastAxis = (producer?.attribute.find((a) => a.name === "axis")?.i ?? -1n) === -1n;
  return producer && (producer.opType === "Softmax" || producer.opType === "LogSoftmax") && lastAxis ? producer.input[0]! : output;
}

function oneHot(labels: Int32Array, classes: number, dims: number[]): THostTensor {
  const data = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => {
    if (l >= 0 && l < classes) data[i * classes + l] = 1;
  });
  return { dtype: "float32", dims: [labels.length, ...dims.slice(1)], data };
}

/** Runs `model` on all rows in batches and concatenates each fetched value along axis 0. */
async function runBatched(
  model: TModelProto,
  inputs: Record<string, THostTensor>,
  fetch: string[],
  batchSize: number,
  signal?: AbortSignal,
): Promise<Record<string, THostTensor>> {
  const m = structuredClone(model);
  const declared = new Set(m.graph!.output.map((o) => o.name));
  for (const f of fetch) if (!declared.has(f)) m.graph!.output.push({ name: f, metadataProps: [] });
  const session = await createInferenceSession(encodeModel(m), { intraOpThreads: 1 });
  try {
    const rows = Object.values(inputs)[0]!.dims[0]!;
    const parts: Record<string, Float32Array[]> = Object.fromEntries(fetch.map((f) => [f, []]));
    const dims: Record<string, number[]> = {};
    for (let start = 0; start < rows; start += batchSize) {
      throwIfAborted(signal);
      const idx = Array.from({ length: Math.min(batchSize, rows - start) }, (_, i) => start + i);
      const batch = gatherRows(createSampleTableView(inputs), idx);
      const feeds: Record<string, TRuntimeTensor> = {};
      for (const [k, t] of Object.entries(batch)) feeds[k] = { type: t.dtype as TRuntimeTensor["type"], dims: t.dims, data: t.data };
      const out = await session.run(feeds, fetch);
      for (const f of fetch) {
        if (out[f]!.type !== "float32") throw new AppError("UNPROCESSABLE", { userMessage: `distillation needs float32 outputs; "${f}" is ${out[f]!.type}` });
        parts[f]!.push(out[f]!.data as Float32Array);
        dims[f] = [...out[f]!.dims];
      }
    }
    const result: Record<string, THostTensor> = {};
    for (const f of fetch) {
      const total = parts[f]!.reduce((n, p) => n + p.length, 0);
      const data = new Float32Array(total);
      let off = 0;
      for (const p of parts[f]!) {
        data.set(p, off);
        off += p.length;
      }
      result[f] = { dtype: "float32", dims: [rows, ...dims[f]!.slice(1)], data };
    }
    return result;
  } finally {
    await session.release();
  }
}

function createSampleTableView(inputs: Record<string, THostTensor>): TSampleTable {
  const count = Object.values(inputs)[0]!.dims[0]!;
  return { count, columns: Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { dtype: t.dtype, sampleDims: t.dims.slice(1), data: t.data }])) };
}
