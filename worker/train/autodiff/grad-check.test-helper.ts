/**
 * Finite-difference gradient checks for tests: builds a one-output model whose every float initializer trains,
 * adds an MSE loss against a random target, and compares the training graph's gradients with central differences
 * (float32 forward in onnxruntime, loss summed in float64 in JS; step 3e-4).
 */
import { DTYPE, createTensor } from "../../onnx/dtypes";
import { createEmptyGraphProto, type TModelProto, type TNodeProto, type TTensorProto } from "../../onnx/onnx-proto";
import { createRandom } from "../random";
import { TrainingSession } from "../training-session";
import { buildTrainingGraph } from "./build-training-graph";

export type TGradCheckSpec = {
  nodes: TNodeProto[];
  /** Trainable float tensors: dims and optional values (default uniform in ±1, away from 0 by 0.1). */
  params: Record<string, { dims: number[]; values?: number[] | Float32Array }>;
  /** Constant initializers (int64 shapes, axes, non-trainable floats). */
  constants?: TTensorProto[];
  output: string;
  opset?: number;
  seed?: number;
  /** Float initializers that stay fixed. */
  frozen?: string[];
  /** Elements checked per parameter. */
  samples?: number;
};

/** `maxScaledError` < 1 means every checked element is within 3e-3 + 1e-2·|fd| of the finite difference. */
export type TGradCheckResult = { maxScaledError: number; checked: number; worst: string };

/** A model from nodes + initializers. */
export function createTestModel(spec: TGradCheckSpec): TModelProto {
  const random = createRandom(spec.seed ?? 1);
  const g = createEmptyGraphProto("grad-check");
  g.node = spec.nodes;
  for (const [name, p] of Object.entries(spec.params)) {
    const count = p.dims.reduce((a, b) => a * b, 1);
    const values = p.values ?? Array.from({ length: count }, () => (random() < 0.5 ? -1 : 1) * (0.1 + 0.9 * random()));
    g.initializer.push(createTensor(name, DTYPE.FLOAT, p.dims, values));
  }
  g.initializer.push(...(spec.constants ?? []));
  g.output.push({ name: spec.output, metadataProps: [] });
  return { irVersion: 8, opsetImport: [{ domain: "", version: spec.opset ?? 17 }], graph: g, metadataProps: [], trainingInfo: [], functions: [] };
}

/** Runs the check; the caller asserts on the errors. */
export async function checkGradients(spec: TGradCheckSpec): Promise<TGradCheckResult> {
  const model = createTestModel(spec);
  const graph = await buildTrainingGraph(model, { feedShapes: {}, losses: [{ kind: "mse", output: spec.output, weight: 1, reduction: "sum" }], extraOutputs: [spec.output],
    isTrainable: (t) => !(spec.frozen ?? []).includes(t.name ?? ""),
  });
  const session = await TrainingSession.create(graph);
  try {
    const target = graph.targets[0]!;
    const random = createRandom((spec.seed ?? 1) + 99);
    const t = Float32Array.from({ length: target.dims.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
    const feeds = { [target.name]: { dtype: "float32" as const, dims: target.dims, data: t } };
    const loss64 = async (): Promise<number> => {
      const y = (await session.computeGradients(feeds)).extra[spec.output]!.data as Float32Array;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += (y[i]! - t[i]!) ** 2;
      return s;
    };
    const base = await session.computeGradients(feeds);
    const analytic = new Map([...base.grads].map(([k, v]) => [k, Float32Array.from(v)]));
    const h = 3e-4;
    let maxScaledError = 0;
    let checked = 0;
    let worst = "";
    for (const p of graph.params) {
      const values = session.params.get(p.name)!;
      const picks = Math.min(values.length, spec.samples ?? 8);
      for (let k = 0; k < picks; k++) {
        const i = Math.floor((k * values.length) / picks);
        const orig = values[i]!;
        values[i] = orig + h;
        const up = await loss64();
        values[i] = orig - h;
        const down = await loss64();
        values[i] = orig;
        const fd = (up - down) / (2 * h);
        const an = analytic.get(p.name)![i]!;
        const scaled = Math.abs(fd - an) / (3e-3 + 1e-2 * Math.abs(fd));
        if (scaled >= maxScaledError) {
          maxScaledError = scaled;
          worst = `${p.name}[${i}]: fd ${fd} analytic ${an}`;
        }
        checked++;
      }
    }
    return { maxScaledError, checked, worst };
  } finally {
    await session.release();
  }
}
