import { describe, expect, it } from "vitest";
import { buildTrainingGraph } from "./autodiff/build-training-graph";
import { createOneHot, createShapesCnn, generateShapesDataset } from "./shapes-task";
import { createSampleTable } from "./sample-table";
import { runTrainingLoop, type TTrainLoopOptions } from "./train-loop";
import { TrainingSession } from "./training-session";

const data = generateShapesDataset(96, { seed: 5, size: 8 });

async function train(opts: Partial<TTrainLoopOptions> = {}): Promise<{ losses: number[]; weights: Float32Array; steps: number }> {
  const model = createShapesCnn({ size: 8, widths: [4, 4, 8], seed: 3 });
  const graph = await buildTrainingGraph(model, { feedShapes: { image: [16, 1, 8, 8] }, losses: [{ kind: "cross-entropy", output: "logits", weight: 1 }] });
  const session = await TrainingSession.create(graph);
  try {
    const table = createSampleTable([
      { image: { dtype: "float32", dims: [96, 1, 8, 8], data: data.images }, [graph.targets[0]!.name]: { dtype: "float32", dims: [96, 10], data: createOneHot(data.labels) } },
    ]);
    const r = await runTrainingLoop(session, table, {
      epochs: 3,
      seed: 9,
      lr: 0.01,
      warmupSteps: 2,
      optimizer: { kind: "adamw", beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4 },
      maxGradNorm: 5,
      ...opts,
    });
    return { losses: r.losses, weights: Float32Array.from(session.params.get("fc.w")!), steps: r.steps };
  } finally {
    await session.release();
  }
}

describe("training loop", () => {
  it("is deterministic for a seed, lowers the loss and reports every step", async () => {
    const seen: number[] = [];
    const a = await train({ onStep: (p) => seen.push(p.step) });
    const b = await train();
    expect(a.steps).toBe(18);
    expect(seen).toEqual(Array.from({ length: 18 }, (_, i) => i));
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(a.losses).toEqual(b.losses);
    expect(a.losses.slice(-6).reduce((x, y) => x + y) / 6).toBeLessThan(a.losses.slice(0, 6).reduce((x, y) => x + y) / 6);
  });

  it("stops between steps when canceled", async () => {
    const controller = new AbortController();
    await expect(train({ signal: controller.signal, onStep: (p) => p.step === 4 && controller.abort() })).rejects.toThrow(/canceled/);
  });
});
