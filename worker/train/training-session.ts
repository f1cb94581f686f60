/**
 * Runs a training graph in onnxruntime: feeds a batch plus the current parameters, returns the loss, per-term
 * losses, gradients and extra outputs. Parameters live here as Float32Arrays that the optimizer updates in place.
 */
import { encodeModel } from "../onnx/model-io";
import { DTYPE } from "../onnx/dtypes";
import { createTensor } from "../onnx/dtypes";
import type { TModelProto } from "../onnx/onnx-proto";
import type { THostTensor } from "../data/host-tensor";
import { createInferenceSession, type TInferenceSession, type TRuntimeTensor } from "../runtime/ort";
import type { TTrainingGraph } from "./autodiff/build-training-graph";

export type TStepResult = {
  loss: number;
  termLosses: number[];
  /** Gradients by parameter name (owned by the caller until the next step). */
  grads: Map<string, Float32Array>;
  extra: Record<string, TRuntimeTensor>;
};

export class TrainingSession {
  /** Current parameter values by name (updated in place by optimizers). */
  readonly params: Map<string, Float32Array>;

  private constructor(
    readonly graph: TTrainingGraph,
    private readonly session: TInferenceSession,
  ) {
    this.params = new Map(graph.params.map((p) => [p.name, Float32Array.from(p.initial)]));
  }

  /** Opens an onnxruntime session on the training graph (spinning disabled by ort.ts, as RECIPE advises). */
  static async create(graph: TTrainingGraph, opts: { intraOpThreads?: number; executionProvider?: string } = {}): Promise<TrainingSession> {
    const session = await createInferenceSession(encodeModel(graph.model), { intraOpThreads: opts.intraOpThreads ?? 1, executionProvider: opts.executionProvider });
    return new TrainingSession(graph, session);
  }

  /** One forward+backward pass. `feeds` holds model inputs and loss targets, at the graph's batch size. */
  async computeGradients(feeds: Record<string, THostTensor>): Promise<TStepResult> {
    const ortFeeds: Record<string, TRuntimeTensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = { type: t.dtype as TRuntimeTensor["type"], dims: t.dims, data: t.data };
    for (const p of this.graph.params) ortFeeds[p.name] = { type: "float32", dims: p.dims, data: this.params.get(p.name)! };
    const out = await this.session.run(ortFeeds);
    const grads = new Map<string, Float32Array>();
    for (const p of this.graph.params) grads.set(p.name, out[p.gradName]!.data as Float32Array);
    const extra: Record<string, TRuntimeTensor> = {};
    for (const name of this.graph.extraOutputs) extra[name] = out[name]!;
    return {
      loss: (out[this.graph.lossName]!.data as Float32Array)[0]!,
      termLosses: this.graph.termLossNames.map((n) => (out[n]!.data as Float32Array)[0]!),
      grads,
      extra,
    };
  }

  /**
   * The trained model: a copy of the forward model the graph was built from (`graph.forward`: Constant weights lifted
   * to initializers, BatchNormalization folded when the graph was built so) with the current parameters.
   */
  exportModel(): TModelProto {
    const model = structuredClone(this.graph.forward);
    const g = model.graph!;
    const byName = new Map(g.initializer.map((t, i) => [t.name ?? "", i]));
    for (const p of this.graph.params) {
      const t = createTensor(p.name, DTYPE.FLOAT, p.dims, this.params.get(p.name)!);
      const i = byName.get(p.name);
      if (i === undefined) throw new Error(`training parameter "${p.name}" is not an initializer of the forward model`);
      g.initializer[i] = t;
    }
    return model;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
