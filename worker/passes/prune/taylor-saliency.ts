/**
 * First-order Taylor saliency for structured pruning (Molchanov et al.; Torch-Pruning's TaylorImportance): for every
 * weight element and calibration batch, w · dL/dw. Removing a channel zeroes its weights, and the sum of w · dL/dw
 * over the channel is the first-order change of the loss when it goes (TaylorImportance takes |sum| per batch).
 *
 * Gradients come from the autodiff engine in worker/train (a training graph run in onnxruntime). Pruning has no
 * labels, so the loss is chosen per output so that its gradient is not zero at the original weights:
 * - class scores (a Softmax/LogSoftmax on the last axis, or a rank-2 [N, C] output): cross-entropy against the model's
 *   own argmax (pseudo-labels), on the logits. At its own prediction the loss is -log p(argmax) > 0, and a channel
 *   scores high when it carries the evidence for the decision the model makes;
 * - anything else (dense maps, embeddings): the mean squared output, i.e. MSE against zeros. Its gradient 2·y·dy/dw
 *   projects a channel's contribution onto the output itself, so it measures how much of the output's energy a
 *   channel carries. A distance to the original output would be the natural target, but it is zero with a zero
 *   gradient at the original weights, so first-order Taylor cannot use it.
 */
import { AppError } from "../../../contracts/app-error";
import type { THostTensor } from "../../data/host-tensor";
import { OnnxGraph } from "../../onnx/graph";
import { encodeModel } from "../../onnx/model-io";
import type { TModelProto } from "../../onnx/onnx-proto";
import { createInferenceSession, type TRuntimeTensor } from "../../runtime/ort";
import { buildTrainingGraph } from "../../train/autodiff/build-training-graph";
import type { TLossTerm } from "../../train/autodiff/loss-terms";
import { TrainingSession } from "../../train/training-session";
import { cloneModel } from "./prune-utils";

/** w · dL/dw per element (signed), one array per calibration batch, by initializer name. */
export type TTaylorSaliency = ReadonlyMap<string, readonly Float32Array[]>;

export type TTaylorLossChoice = { output: string; kind: "pseudo-label-cross-entropy" | "squared-output"; value: string };

export type TComputeTaylorSaliencyResult = {
  saliency: TTaylorSaliency;
  /** The loss used per graph output (for the report). */
  losses: TTaylorLossChoice[];
  /** Batches that contributed (batches with another shape than the first are skipped). */
  batchesUsed: number;
};

function toHost(t: TRuntimeTensor): THostTensor {
  return { dtype: t.type as THostTensor["dtype"], dims: [...t.dims], data: t.data as THostTensor["data"] };
}

/** The logits behind a class-score output, or undefined when the output is not class scores. */
function findClassLogits(g: OnnxGraph, output: string, rank: number): string | undefined {
  const p = g.getProducer(output);
  const axisAttr = p?.attribute.find((a) => a.name === "axis")?.i;
  // Softmax-1..12 coerces to 2-D at `axis` (default 1): on a rank-2 output that is the last axis as well.
  const lastAxis = axisAttr === undefined ? rank <= 2 : Number(axisAttr) === -1 || Number(axisAttr) === rank - 1;
  if (p && (p.opType === "Softmax" || p.opType === "LogSoftmax") && lastAxis && (p.domain ?? "") === "") return p.input[0];
  return undefined;
}

/** One-hot of the argmax over the last axis. */
function oneHotArgmax(values: Float32Array, dims: readonly number[]): Float32Array {
  const classes = dims[dims.length - 1] ?? 1;
  const out = new Float32Array(values.length);
  for (let r = 0; r < values.length / classes; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c] > values[r * classes + best]) best = c;
    out[r * classes + best] = 1;
  }
  return out;
}

/**
 * Computes Taylor saliency of the float initializers named in `paramNames` of `model` (weights in Constant nodes must
 * already be initializers). Throws AppError (UNPROCESSABLE) when a gradient rule is missing on the path or the
 * model cannot be differentiated: callers fall back to a weight-only criterion.
 */
export async function computeTaylorSaliency(
  model: TModelProto,
  batches: readonly Record<string, TRuntimeTensor>[],
  opts: { paramNames: ReadonlySet<string>; signal?: AbortSignal },
): Promise<TComputeTaylorSaliencyResult> {
  if (batches.length === 0) throw new AppError("BAD_INPUT", { userMessage: "Taylor importance needs at least one batch of calibration data" });
  const shapeKey = (b: Record<string, TRuntimeTensor>) => Object.entries(b).map(([k, t]) => `${k}:${t.dims.join("x")}`).sort().join(";");
  const first = shapeKey(batches[0]);
  const used = batches.filter((b) => shapeKey(b) === first);
  const feedShapes = Object.fromEntries(Object.entries(used[0]).map(([k, t]) => [k, [...t.dims]]));

  // Pick the loss per output; class scores need their logits, fetched by one forward run per batch.
  const g = new OnnxGraph(cloneModel(model).graph!);
  const probe = await observeOutputs(model, used[0]);
  const losses: TTaylorLossChoice[] = [];
  for (const o of model.graph!.output) {
    const name = o.name ?? "";
    const dims = probe.get(name)?.dims ?? [];
    if (!probe.get(name) || probe.get(name)!.type !== "float32") continue;
    const logits = findClassLogits(g, name, dims.length);
    if (logits) losses.push({ output: name, kind: "pseudo-label-cross-entropy", value: logits });
    else if (dims.length === 2 && (dims[1] ?? 1) > 1) losses.push({ output: name, kind: "pseudo-label-cross-entropy", value: name });
    else losses.push({ output: name, kind: "squared-output", value: name });
  }
  if (losses.length === 0) throw new AppError("UNPROCESSABLE", { userMessage: "Taylor importance needs a float32 model output" });
  const terms: TLossTerm[] = losses.map((l) =>
    l.kind === "pseudo-label-cross-entropy" ? { kind: "cross-entropy", output: l.value, weight: 1 } : { kind: "mse", output: l.value, weight: 1, reduction: "mean" },
  );
  const graph = await buildTrainingGraph(model, { feedShapes, losses: terms, isTrainable: (t) => opts.paramNames.has(t.name ?? "") });
  const session = await TrainingSession.create(graph);
  const saliency = new Map<string, Float32Array[]>(graph.params.map((p) => [p.name, []]));
  try {
    const logitNames = losses.filter((l) => l.kind === "pseudo-label-cross-entropy").map((l) => l.value);
    for (const batch of used) {
      opts.signal?.throwIfAborted();
      const values = logitNames.length > 0 ? await observeValues(model, batch, logitNames) : new Map<string, TRuntimeTensor>();
      const feeds: Record<string, THostTensor> = Object.fromEntries(Object.entries(batch).map(([k, t]) => [k, toHost(t)]));
      graph.targets.forEach((target, i) => {
        const l = losses[i];
        const data =
          l.kind === "pseudo-label-cross-entropy"
            ? oneHotArgmax(values.get(l.value)!.data as Float32Array, target.dims)
            : new Float32Array(target.dims.reduce((a, b) => a * b, 1));
        feeds[target.name] = { dtype: "float32", dims: target.dims, data };
      });
      const step = await session.computeGradients(feeds);
      for (const p of graph.params) {
        const grad = step.grads.get(p.name)!;
        const wg = new Float32Array(grad.length);
        for (let i = 0; i < wg.length; i++) wg[i] = p.initial[i] * grad[i];
        saliency.get(p.name)!.push(wg);
      }
    }
  } finally {
    await session.release();
  }
  return { saliency, losses, batchesUsed: used.length };
}

async function observeOutputs(model: TModelProto, feeds: Record<string, TRuntimeTensor>): Promise<Map<string, TRuntimeTensor>> {
  return observeValues(model, feeds, model.graph!.output.map((o) => o.name ?? ""));
}

/** Runs the model once and returns the named values (intermediate values are added as outputs). */
async function observeValues(model: TModelProto, feeds: Record<string, TRuntimeTensor>, names: readonly string[]): Promise<Map<string, TRuntimeTensor>> {
  const m = cloneModel(model);
  const outs = new Set(m.graph!.output.map((o) => o.name ?? ""));
  for (const n of names) if (!outs.has(n)) m.graph!.output.push({ name: n, metadataProps: [] });
  const s = await createInferenceSession(encodeModel(m), { intraOpThreads: 1 });
  try {
    const out = await s.run(feeds, [...names]);
    return new Map(names.map((n) => [n, out[n]!]));
  } finally {
    await s.release();
  }
}
