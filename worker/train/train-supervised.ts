/**
 * Supervised training of a classifier with the engine (cross-entropy against integer labels), and accuracy
 * evaluation. Used to train teachers on generated tasks whose labels are known.
 */
import type { THostTensor } from "../data/host-tensor";
import { encodeModel } from "../onnx/model-io";
import type { TModelProto } from "../onnx/onnx-proto";
import { createInferenceSession, type TRuntimeTensor } from "../runtime/ort";
import { buildTrainingGraph } from "./autodiff/build-training-graph";
import type { TOptimizerOptions } from "./optimizers";
import { createOneHot } from "./shapes-task";
import { createSampleTable } from "./sample-table";
import { runTrainingLoop, type TStepProgress, type TTrainLoopResult } from "./train-loop";
import { TrainingSession } from "./training-session";

export type TSupervisedOptions = {
  epochs: number;
  batchSize: number;
  lr: number;
  seed?: number;
  optimizer?: TOptimizerOptions;
  warmupSteps?: number;
  signal?: AbortSignal;
  onStep?: (p: TStepProgress) => void;
};

/** Trains `model` so that `output` classifies `input` rows as `labels`; returns the trained copy. */
export async function trainSupervised(
  model: TModelProto,
  data: { input: string; output: string; images: THostTensor; labels: Int32Array; classes: number },
  opts: TSupervisedOptions,
): Promise<{ model: TModelProto; result: TTrainLoopResult }> {
  const sampleDims = data.images.dims.slice(1);
  const graph = await buildTrainingGraph(model, {
    feedShapes: { [data.input]: [opts.batchSize, ...sampleDims] },
    losses: [{ kind: "cross-entropy", output: data.output, weight: 1 }],
  });
  const session = await TrainingSession.create(graph);
  try {
    const count = data.labels.length;
    const table = createSampleTable([
      {
        [data.input]: data.images,
        [graph.targets[0]!.name]: { dtype: "float32", dims: [count, data.classes], data: createOneHot(data.labels, data.classes) },
      },
    ]);
    const result = await runTrainingLoop(session, table, {
      epochs: opts.epochs,
      seed: opts.seed ?? 1,
      lr: opts.lr,
      warmupSteps: opts.warmupSteps ?? 0,
      optimizer: opts.optimizer ?? { kind: "adamw", beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4 },
      maxGradNorm: 5,
      signal: opts.signal,
      onStep: opts.onStep,
    });
    return { model: session.exportModel(), result };
  } finally {
    await session.release();
  }
}

/** Runs `model` over `images` in batches and returns the outputs of `output` concatenated. */
export async function runModelOutputs(model: TModelProto, input: string, output: string, images: THostTensor, batchSize = 256): Promise<Float32Array[]> {
  const session = await createInferenceSession(encodeModel(model), { intraOpThreads: 1 });
  try {
    const rows = images.dims[0]!;
    const rowSize = images.data.length / rows;
    const out: Float32Array[] = [];
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const feed: TRuntimeTensor = {
        type: "float32",
        dims: [n, ...images.dims.slice(1)],
        data: (images.data as Float32Array).subarray(start * rowSize, (start + n) * rowSize),
      };
      const r = await session.run({ [input]: feed }, [output]);
      out.push(r[output]!.data as Float32Array);
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Top-1 accuracy of `output` (class scores on the last axis) against integer labels. */
export async function measureAccuracy(model: TModelProto, input: string, output: string, images: THostTensor, labels: Int32Array): Promise<number> {
  const parts = await runModelOutputs(model, input, output, images);
  const classes = parts[0]!.length / Math.min(256, labels.length);
  let correct = 0;
  let row = 0;
  for (const p of parts) {
    for (let r = 0; r < p.length / classes; r++, row++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (p[r * classes + c]! > p[r * classes + best]!) best = c;
      if (best === labels[row]) correct++;
    }
  }
  return correct / labels.length;
}
