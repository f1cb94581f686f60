import { describe, expect, it } from "vitest";
import { DTYPE, createTensor } from "../../onnx/dtypes";
import { createAttribute as attr, createNodeProto as node } from "../../onnx/onnx-proto";
import { checkGradients, createTestModel, type TGradCheckSpec } from "./grad-check.test-helper";
import { buildTrainingGraph } from "./build-training-graph";
import { encodeModel } from "../../onnx/model-io";
import { createInferenceSession } from "../../runtime/ort";
import { TrainingSession } from "../training-session";

const i64 = (name: string, values: number[], dims = [values.length]) => createTensor(name, DTYPE.INT64, dims, values.map(BigInt));
const f32 = (name: string, values: number[], dims: number[]) => createTensor(name, DTYPE.FLOAT, dims, values);
const ints = (name: string, v: number[]) => attr(name, v, { asInt: true });
const int = (name: string, v: number) => attr(name, v, { asInt: true });

async function expectGradientsMatch(spec: TGradCheckSpec): Promise<void> {
  const r = await checkGradients(spec);
  expect(r.checked).toBeGreaterThan(0);
  expect(r.maxScaledError, r.worst).toBeLessThan(1);
}

describe("gradient rules match finite differences", () => {
  it("MatMul with a broadcast batch", () =>
    expectGradientsMatch({ nodes: [node("MatMul", ["a", "b"], ["y"])], params: { a: { dims: [2, 3, 4] }, b: { dims: [4, 5] } }, output: "y" }));

  it("Gemm with transA, transB, alpha, beta and a broadcast bias", () =>
    expectGradientsMatch({
      nodes: [node("Gemm", ["a", "b", "c"], ["y"], { attribute: [int("transA", 1), int("transB", 1), attr("alpha", 0.7), attr("beta", 0.5)] })],
      params: { a: { dims: [4, 3] }, b: { dims: [5, 4] }, c: { dims: [5] } },
      output: "y",
    }));

  it("Add/Sub/Mul/Div with broadcasting, a value used twice", () =>
    expectGradientsMatch({
      nodes: [node("Add", ["a", "b"], ["s"]), node("Mul", ["s", "b"], ["m"]), node("Sub", ["m", "a"], ["d"]), node("Div", ["d", "c"], ["y"])],
      params: { a: { dims: [2, 3, 4] }, b: { dims: [3, 1] }, c: { dims: [1, 4], values: [1.2, 1.5, 1.9, 1.1] } },
      output: "y",
    }));

  it("Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, Erf, Exp, Neg, Sqrt, Log", () =>
    expectGradientsMatch({
      nodes: [
        node("Relu", ["x"], ["a"]),
        node("LeakyRelu", ["x"], ["b"], { attribute: [attr("alpha", 0.1)] }),
        node("Sigmoid", ["x"], ["c"]),
        node("Tanh", ["x"], ["d"]),
        node("HardSigmoid", ["w"], ["e"]),
        node("HardSwish", ["w"], ["f"]),
        node("Erf", ["x"], ["h"]),
        node("Exp", ["x"], ["k"]),
        node("Neg", ["x"], ["n"]),
        node("Sqrt", ["p"], ["q"]),
        node("Log", ["p"], ["l"]),
        node("Concat", ["a", "b", "c", "d", "e", "f", "h", "k", "n", "q", "l"], ["y"], { attribute: [int("axis", 0)] }),
      ],
      params: {
        x: { dims: [10] },
        w: { dims: [12], values: [-4, -2.9, -2, -1, -0.4, 0.3, 0.8, 1.5, 2.2, 2.8, 3.5, 5] },
        p: { dims: [4], values: [0.5, 1, 2, 3] },
      },
      output: "y",
      samples: 12,
    }));

  it("Softmax and LogSoftmax on the last and a middle axis", () =>
    expectGradientsMatch({
      nodes: [node("Softmax", ["x"], ["a"]), node("LogSoftmax", ["x"], ["b"], { attribute: [int("axis", 1)] }), node("Add", ["a", "b"], ["y"])],
      params: { x: { dims: [2, 3, 4] } },
      output: "y",
    }));

  it("Conv with groups, strides, asymmetric pads, dilations and bias", () =>
    expectGradientsMatch({
      nodes: [
        node("Conv", ["x", "w", "bias"], ["y"], {
          attribute: [int("group", 2), ints("strides", [2, 2]), ints("pads", [1, 0, 1, 1]), ints("dilations", [1, 2]), ints("kernel_shape", [3, 3])],
        }),
      ],
      params: { x: { dims: [2, 4, 7, 6] }, w: { dims: [6, 2, 3, 3] }, bias: { dims: [6] } },
      output: "y",
    }));

  it("depthwise Conv with SAME_UPPER padding", () =>
    expectGradientsMatch({
      nodes: [node("Conv", ["x", "w"], ["y"], { attribute: [int("group", 3), attr("auto_pad", "SAME_UPPER")] })],
      params: { x: { dims: [1, 3, 5, 5] }, w: { dims: [3, 1, 3, 3] } },
      output: "y",
    }));

  it("depthwise Conv with stride 2, asymmetric pads and 2 samples (weight gradient sliced to the kernel)", () =>
    expectGradientsMatch({
      nodes: [node("Conv", ["x", "w"], ["y"], { attribute: [int("group", 3), ints("strides", [2, 2]), ints("pads", [1, 1, 0, 0])] })],
      params: { x: { dims: [2, 3, 7, 6] }, w: { dims: [3, 1, 3, 3] } },
      output: "y",
      samples: 16,
    }));

  it("depthwise stride-1 Conv with dilations and asymmetric pads (input gradient as a flipped-kernel Conv)", () =>
    expectGradientsMatch({
      nodes: [node("Conv", ["x", "w", "bias"], ["y"], { attribute: [int("group", 4), ints("dilations", [2, 1]), ints("pads", [2, 0, 1, 2])] })],
      params: { x: { dims: [2, 4, 6, 5] }, w: { dims: [4, 1, 3, 3] }, bias: { dims: [4] } },
      output: "y",
      samples: 16,
    }));

  it("pointwise 1×1 Conv over a batch, widening (weight gradient as a batched MatMul)", () =>
    expectGradientsMatch({
      nodes: [node("Conv", ["x", "w"], ["y"])],
      params: { x: { dims: [3, 4, 2, 5] }, w: { dims: [6, 4, 1, 1] } },
      output: "y",
      samples: 12,
    }));

  it("pointwise 1×1 Conv narrowing (the other operand transposed), one sample and a batch", async () => {
    await expectGradientsMatch({ nodes: [node("Conv", ["x", "w"], ["y"])], params: { x: { dims: [1, 7, 3, 2] }, w: { dims: [3, 7, 1, 1] } }, output: "y", samples: 21 });
    await expectGradientsMatch({ nodes: [node("Conv", ["x", "w"], ["y"])], params: { x: { dims: [2, 7, 3, 2] }, w: { dims: [3, 7, 1, 1] } }, output: "y", samples: 21 });
  });

  it("depthwise 5×5 Conv with strides [2, 1] and pads 2 (MobileNetV3's shape), and a 1-D depthwise Conv", async () => {
    await expectGradientsMatch({
      nodes: [node("Conv", ["x", "w"], ["y"], { attribute: [int("group", 3), ints("strides", [2, 1]), ints("pads", [2, 2, 2, 2])] })],
      params: { x: { dims: [2, 3, 5, 7] }, w: { dims: [3, 1, 5, 5] } },
      output: "y",
      samples: 75,
    });
    await expectGradientsMatch({
      nodes: [node("Conv", ["x", "w"], ["y"], { attribute: [int("group", 2), ints("strides", [2]), ints("pads", [1, 0]), ints("dilations", [2])] })],
      params: { x: { dims: [3, 2, 9] }, w: { dims: [2, 1, 3] } },
      output: "y",
      samples: 6,
    });
  });

  it("depthwise weight gradient in blocks: a row wider than one block, 1-D, and a k×1 kernel", async () => {
    // Last axis 36 outputs wide: 3 blocks of 16, the last zero-padded; asymmetric pads on both axes.
    await expectGradientsMatch({
      nodes: [node("Conv", ["x", "w"], ["y"], { attribute: [int("group", 2), ints("strides", [2, 1]), ints("pads", [1, 2, 0, 1])] })],
      params: { x: { dims: [2, 2, 3, 37] }, w: { dims: [2, 1, 3, 5] } },
      output: "y",
      samples: 30,
    });
    await expectGradientsMatch({
      nodes: [node("Conv", ["x", "w"], ["y"], { attribute: [int("group", 2), ints("pads", [1, 1])] })],
      params: { x: { dims: [2, 2, 20] }, w: { dims: [2, 1, 3] } },
      output: "y",
      samples: 6,
    });
    await expectGradientsMatch({
      nodes: [node("Conv", ["x", "w"], ["y"], { attribute: [int("group", 3), ints("dilations", [2, 1]), ints("pads", [1, 0, 2, 0])] })],
      params: { x: { dims: [2, 3, 6, 4] }, w: { dims: [3, 1, 3, 1] } },
      output: "y",
      samples: 9,
    });
  });

  it("Resize nearest: 2× upsampling by scales (half_pixel), sizes with asymmetric floor, align_corners", () =>
    expectGradientsMatch({
      nodes: [
        node("Resize", ["x", "", "up"], ["a"], { attribute: [attr("mode", "nearest")] }),
        node("Resize", ["x", "", "", "sizes"], ["b"], {
          attribute: [attr("mode", "nearest"), attr("coordinate_transformation_mode", "asymmetric"), attr("nearest_mode", "floor")],
        }),
        node("Resize", ["x", "", "", "sizes2"], ["c"], {
          attribute: [attr("mode", "nearest"), attr("coordinate_transformation_mode", "align_corners"), attr("nearest_mode", "round_prefer_ceil")],
        }),
        node("Reshape", ["a", "flat"], ["af"]),
        node("Reshape", ["b", "flat"], ["bf"]),
        node("Reshape", ["c", "flat"], ["cf"]),
        node("Concat", ["af", "bf", "cf"], ["y"], { attribute: [int("axis", 0)] }),
      ],
      params: { x: { dims: [1, 2, 3, 5] } },
      constants: [f32("up", [1, 1, 2, 2], [4]), i64("sizes", [1, 2, 5, 3]), i64("sizes2", [1, 3, 4, 7]), i64("flat", [-1])],
      output: "y",
      samples: 30,
    }));

  it("Resize in linear mode is a clear error naming the node", async () => {
    const model = createTestModel({
      nodes: [node("Resize", ["x", "", "up"], ["y"], { name: "upsample_1", attribute: [attr("mode", "linear")] })],
      params: { x: { dims: [1, 1, 2, 2] } },
      constants: [f32("up", [1, 1, 2, 2], [4])],
      output: "y",
    });
    await expect(buildTrainingGraph(model, { feedShapes: {}, losses: [{ kind: "mse", output: "y", weight: 1 }] })).rejects.toThrow(/Resize node "upsample_1".*linear/);
  });

  it("stride-3 Conv whose input gradient needs output_padding 2", () =>
    expectGradientsMatch({
      nodes: [node("Conv", ["x", "w"], ["y"], { attribute: [ints("strides", [3, 3])] })],
      params: { x: { dims: [1, 2, 10, 10] }, w: { dims: [2, 2, 2, 2] } },
      output: "y",
    }));

  it("MaxPool (with pads, overlapping windows) and AveragePool with and without counted padding", () => {
    const distinct = Array.from({ length: 2 * 6 * 6 }, (_, i) => ((i * 37) % 72) / 10 - 3.6);
    return expectGradientsMatch({
      nodes: [
        node("MaxPool", ["x"], ["a"], { attribute: [ints("kernel_shape", [3, 3]), ints("strides", [2, 2]), ints("pads", [1, 1, 1, 1])] }),
        node("AveragePool", ["x"], ["b"], { attribute: [ints("kernel_shape", [3, 3]), ints("strides", [2, 2]), ints("pads", [1, 1, 1, 1])] }),
        node("AveragePool", ["x"], ["c"], {
          attribute: [ints("kernel_shape", [3, 3]), ints("strides", [2, 2]), ints("pads", [1, 1, 1, 1]), int("count_include_pad", 1)],
        }),
        node("MaxPool", ["x"], ["d"], { attribute: [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])] }),
        node("GlobalAveragePool", ["x"], ["e"]),
        node("Concat", ["a", "b", "c"], ["abc"], { attribute: [int("axis", 1)] }),
        node("Flatten", ["abc"], ["f1"]),
        node("Flatten", ["d"], ["f2"]),
        node("Flatten", ["e"], ["f3"]),
        node("Concat", ["f1", "f2", "f3"], ["y"], { attribute: [int("axis", 1)] }),
      ],
      params: { x: { dims: [1, 2, 6, 6], values: distinct } },
      output: "y",
      samples: 24,
    });
  });

  it("Reshape, Transpose, Slice, Squeeze, Unsqueeze, Split and Pad", () =>
    expectGradientsMatch({
      nodes: [
        node("Reshape", ["x", "shape"], ["r"]),
        node("Transpose", ["r"], ["t"], { attribute: [ints("perm", [2, 0, 1])] }),
        node("Slice", ["t", "starts", "ends", "axes"], ["s"]),
        node("Unsqueeze", ["s", "ax0"], ["u"]),
        node("Squeeze", ["u", "ax0"], ["q"]),
        node("Split", ["q", "splits"], ["p1", "p2"], { attribute: [int("axis", 0)] }),
        node("Pad", ["p2", "pads"], ["y"]),
      ],
      params: { x: { dims: [4, 6] } },
      constants: [
        i64("shape", [2, 3, 4]),
        i64("starts", [1, -2]),
        i64("ends", [4, 100]),
        i64("axes", [0, 2]),
        i64("ax0", [0]),
        i64("splits", [1, 2]),
        i64("pads", [0, 1, 0, 1, 0, 2]),
      ],
      output: "y",
      samples: 24,
    }));

  it("BatchNormalization (inference form) trains scale and bias, not the statistics", async () => {
    const spec: TGradCheckSpec = {
      nodes: [node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"], { attribute: [attr("epsilon", 1e-3)] })],
      params: { x: { dims: [2, 3, 2, 2] }, scale: { dims: [3] }, bias: { dims: [3] } },
      constants: [f32("mean", [0.1, -0.2, 0.3], [3]), f32("var", [0.5, 1.5, 2], [3])],
      output: "y",
    };
    await expectGradientsMatch(spec);
    const graph = await buildTrainingGraph(createTestModel(spec), { feedShapes: {}, losses: [{ kind: "mse", output: "y", weight: 1 }] });
    expect(graph.params.map((p) => p.name).sort()).toEqual(["bias", "scale", "x"]);
  });

  it("Clip, ReduceMean (axes attribute), ReduceSum (axes input), LayerNormalization, Gather", () =>
    expectGradientsMatch({
      nodes: [
        node("Clip", ["x", "lo", "hi"], ["c"]),
        node("ReduceMean", ["c"], ["m"], { attribute: [ints("axes", [1]), int("keepdims", 0)] }),
        node("ReduceSum", ["x", "ax1"], ["s"], { attribute: [int("keepdims", 1)] }),
        node("LayerNormalization", ["x", "lnScale", "lnBias"], ["ln"], { attribute: [int("axis", -1)] }),
        node("Gather", ["emb", "idx"], ["gth"]),
        node("Flatten", ["m"], ["f1"], { attribute: [int("axis", 0)] }),
        node("Flatten", ["s"], ["f2"], { attribute: [int("axis", 0)] }),
        node("Flatten", ["ln"], ["f3"], { attribute: [int("axis", 0)] }),
        node("Flatten", ["gth"], ["f4"], { attribute: [int("axis", 0)] }),
        node("Concat", ["f1", "f2", "f3", "f4"], ["y"], { attribute: [int("axis", 1)] }),
      ],
      params: {
        x: { dims: [3, 4], values: [-0.9, -0.3, 0.2, 0.7, 0.45, -0.55, 0.1, 0.8, -0.2, 0.35, 0.65, -0.75] },
        lnScale: { dims: [4] },
        lnBias: { dims: [4] },
        emb: { dims: [5, 3] },
      },
      constants: [f32("lo", [-0.5], []), f32("hi", [0.5], []), i64("ax1", [1]), i64("idx", [4, 0, 4, -1], [2, 2])],
      output: "y",
      samples: 15,
    }));
});

describe("training graph construction", () => {
  it("names the op and node when an op on the gradient path has no rule", async () => {
    const model = createTestModel({ nodes: [node("Cos", ["x"], ["y"], { name: "my_cos" })], params: { x: { dims: [3] } }, output: "y" });
    await expect(buildTrainingGraph(model, { feedShapes: {}, losses: [{ kind: "mse", output: "y", weight: 1 }] })).rejects.toThrow(/Cos.*my_cos/);
  });

  it("needs no rule for ops with no trainable parameter upstream", async () => {
    const spec: TGradCheckSpec = {
      nodes: [node("Cos", ["k"], ["c"]), node("Mul", ["x", "c"], ["y"])],
      params: { x: { dims: [3] } },
      constants: [f32("k", [0.1, 0.2, 0.3], [3])],
      frozen: ["k"],
      output: "y",
    };
    await expectGradientsMatch(spec);
  });

  it("fuses hard-swish patterns when asked: same outputs and gradients, HardSwish exported, named values kept", async () => {
    // y = Conv(x)·Clip(Conv(x) + 3, 0, 6)/6 twice; the second pattern's Clip output is a loss term, so it stays.
    const nodes = [
      node("Conv", ["x", "w"], ["c"]),
      node("Add", ["c", "three"], ["a"]),
      node("Clip", ["a", "zero", "six"], ["k"]),
      node("Mul", ["c", "k"], ["m"]),
      node("Div", ["m", "six"], ["h"]),
      node("Add", ["h", "three"], ["a2"]),
      node("Clip", ["a2", "zero", "six"], ["k2"]),
      node("Mul", ["h", "k2"], ["m2"]),
      node("Div", ["m2", "six"], ["y"]),
    ];
    const scalars = [f32("three", [3], []), f32("zero", [0], []), f32("six", [6], [])];
    const model = createTestModel({
      nodes,
      // Conv outputs spread over every piece of the hard-swish (below −3, between, above 3).
      params: { x: { dims: [2, 2, 3, 3], values: Array.from({ length: 36 }, (_, i) => ((i * 7) % 36) / 3 - 6) }, w: { dims: [3, 2, 1, 1], values: [1, 0.5, -0.7, 0.9, 0.4, -1.2] } },
      constants: scalars,
      frozen: ["x"],
      output: "y",
    });
    const losses = [
      { kind: "mse" as const, output: "y", weight: 1 },
      { kind: "mse" as const, output: "k2", weight: 0.5 },
    ];
    const plain = await buildTrainingGraph(model, { feedShapes: {}, losses, isTrainable: (t) => t.name === "w" });
    const fused = await buildTrainingGraph(model, { feedShapes: {}, losses, fuseHardSwish: true, isTrainable: (t) => t.name === "w" });
    expect(fused.forward.graph!.node.map((n) => n.opType)).toEqual(["Conv", "HardSwish", "Add", "Clip", "Mul", "Div"]);
    expect(plain.forward.graph!.node.some((n) => n.opType === "HardSwish")).toBe(false);
    const step = async (graph: typeof plain) => {
      const session = await TrainingSession.create(graph);
      try {
        const feeds = Object.fromEntries(graph.targets.map((t) => [t.name, { dtype: "float32" as const, dims: t.dims, data: new Float32Array(t.dims.reduce((a, b) => a * b, 1)).fill(0.25) }]));
        const r = await session.computeGradients(feeds);
        return { loss: r.loss, grad: Float32Array.from(r.grads.get("w")!) };
      } finally {
        await session.release();
      }
    };
    const [a, b] = [await step(plain), await step(fused)];
    expect(b.loss).toBeCloseTo(a.loss, 4);
    expect(Math.max(...a.grad.map(Math.abs))).toBeGreaterThan(0.01);
    a.grad.forEach((v, i) => expect(b.grad[i]).toBeCloseTo(v, 4));
  });

  it("folds BatchNormalization into the Conv when asked: the exported model has no BN and computes the same", async () => {
    const model = createTestModel({
      nodes: [
        node("Conv", ["x", "w", "b"], ["c"], { attribute: [ints("pads", [1, 1, 1, 1])] }),
        node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"]),
        node("Relu", ["n"], ["y"]),
      ],
      params: { x: { dims: [2, 3, 5, 5] }, w: { dims: [4, 3, 3, 3] }, b: { dims: [4] }, gamma: { dims: [4] }, beta: { dims: [4] }, mean: { dims: [4] } },
      constants: [f32("var", [0.5, 1, 1.5, 2], [4])],
      frozen: ["x"],
      output: "y",
    });
    const graph = await buildTrainingGraph(model, { feedShapes: {}, losses: [{ kind: "mse", output: "y", weight: 1 }], foldBatchNorm: true, isTrainable: (t) => t.name !== "x" });
    expect(graph.model.graph!.node.some((n) => n.opType === "BatchNormalization")).toBe(false);
    expect(graph.params.map((p) => p.name).sort()).toEqual(["b", "w"]);
    const session = await TrainingSession.create(graph);
    try {
      const exported = session.exportModel();
      expect(exported.graph!.node.map((n) => n.opType)).toEqual(["Conv", "Relu"]);
      const run = async (m: typeof model) => {
        const s = await createInferenceSession(encodeModel(m), { intraOpThreads: 1 });
        try {
          return (await s.run({}))["y"]!.data as Float32Array;
        } finally {
          await s.release();
        }
      };
      const [before, after] = [await run(model), await run(exported)];
      expect(after.length).toBe(before.length);
      for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i]!, 4);
    } finally {
      await session.release();
    }
  });
});
