/**
 * Tiny generated float models for the quantization tests: a CNN with the ops real detectors use and a
 * transformer-like MLP block. Deterministic (seeded), built directly as ModelProto.
 */
import { createEmptyGraphProto, createTensorValueInfo, type TModelProto, type TNodeProto } from "../../../onnx/onnx-proto";
import { encodeModel } from "../../../onnx/model-io";
import { createInferenceSession, type TRuntimeTensor } from "../../../runtime/ort";
import { createAttribute, createFloatTensor, createInt64Tensor, createNodeProto, DTYPE } from "../onnx-helpers";

/** Seeded normal random numbers. */
export function createRandom(seed: number): { normal: () => number; uniform: () => number } {
  let s = seed >>> 0;
  const uniform = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

function randomTensor(rng: ReturnType<typeof createRandom>, n: number, std: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * std);
}

function createModel(nodes: TNodeProto[], opset: number, init: ReturnType<typeof createFloatTensor>[], inputs: ReturnType<typeof createTensorValueInfo>[], outputs: ReturnType<typeof createTensorValueInfo>[], extraDomains: { domain: string; version: number }[] = []): TModelProto {
  const graph = createEmptyGraphProto("g");
  graph.node = nodes;
  graph.initializer = init;
  graph.input = inputs;
  graph.output = outputs;
  return {
    irVersion: 8,
    opsetImport: [{ domain: "", version: opset }, ...extraDomains],
    producerName: "condense-tests",
    graph,
    metadataProps: [],
    trainingInfo: [],
    functions: [],
  };
}

const ints = (name: string, v: number[]) => createAttribute(name, v, { asInt: true });
const int = (name: string, v: number) => createAttribute(name, v, { asInt: true });

/**
 * x[1,3,16,16] → Conv+BN+Relu → MaxPool → Conv+Clip(0,6) → depthwise Conv → Add(residual) → Concat →
 * Resize ×2 → Conv → Sigmoid-free head: GlobalAveragePool → Flatten → Gemm(transB) → y[1,10].
 * Weights in Constant nodes for some tensors, as exporters write them.
 */
export function buildConvNet(opts: { opset?: number; seed?: number } = {}): TModelProto {
  const rng = createRandom(opts.seed ?? 1);
  const opset = opts.opset ?? 11;
  const init = [
    createFloatTensor("w1", [8, 3, 3, 3], randomTensor(rng, 8 * 27, 0.3)),
    createFloatTensor("b1", [8], randomTensor(rng, 8, 0.1)),
    createFloatTensor("bn_scale", [8], Float32Array.from({ length: 8 }, () => 0.5 + rng.uniform())),
    createFloatTensor("bn_bias", [8], randomTensor(rng, 8, 0.1)),
    createFloatTensor("bn_mean", [8], randomTensor(rng, 8, 0.1)),
    createFloatTensor("bn_var", [8], Float32Array.from({ length: 8 }, () => 0.5 + rng.uniform())),
    createFloatTensor("w2", [16, 8, 3, 3], randomTensor(rng, 16 * 72, 0.15)),
    createFloatTensor("b2", [16], randomTensor(rng, 16, 0.1)),
    createFloatTensor("clip_min", [], Float32Array.of(0)),
    createFloatTensor("clip_max", [], Float32Array.of(6)),
    createFloatTensor("w3", [16, 1, 3, 3], randomTensor(rng, 16 * 9, 0.3)),
    createFloatTensor("b3", [16], randomTensor(rng, 16, 0.1)),
    createFloatTensor("w4", [8, 32, 1, 1], randomTensor(rng, 8 * 32, 0.2)),
    createFloatTensor("b4", [8], randomTensor(rng, 8, 0.1)),
    createFloatTensor("resize_scales", [4], Float32Array.of(1, 1, 2, 2)),
    createFloatTensor("roi", [0], new Float32Array(0)),
    createFloatTensor("fc_b", [10], randomTensor(rng, 10, 0.1)),
  ];
  const fcW = createFloatTensor("fc_w", [10, 8], randomTensor(rng, 80, 0.3));
  const nodes: TNodeProto[] = [
    createNodeProto("Constant", [], ["fc_w"], { attribute: [createAttribute("value", fcW)] }),
    createNodeProto("Conv", ["x", "w1", "b1"], ["c1"], { attribute: [ints("pads", [1, 1, 1, 1]), ints("kernel_shape", [3, 3])] }),
    createNodeProto("BatchNormalization", ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["bn1"], { attribute: [createAttribute("epsilon", 1e-5)] }),
    createNodeProto("Relu", ["bn1"], ["r1"]),
    createNodeProto("MaxPool", ["r1"], ["p1"], { attribute: [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])] }),
    createNodeProto("Conv", ["p1", "w2", "b2"], ["c2"], { attribute: [ints("pads", [1, 1, 1, 1])] }),
    createNodeProto("Clip", ["c2", "clip_min", "clip_max"], ["r2"]),
    createNodeProto("Conv", ["r2", "w3", "b3"], ["c3"], { attribute: [ints("pads", [1, 1, 1, 1]), int("group", 16)] }),
    createNodeProto("Add", ["c3", "r2"], ["a3"]),
    createNodeProto("Concat", ["a3", "r2"], ["cat"], { attribute: [int("axis", 1)] }),
    createNodeProto("Conv", ["cat", "w4", "b4"], ["c4"], {}),
    createNodeProto("Resize", ["c4", "roi", "resize_scales"], ["up"], { attribute: [createAttribute("mode", "nearest")] }),
    createNodeProto("GlobalAveragePool", ["up"], ["gap"]),
    createNodeProto("Flatten", ["gap"], ["flat"]),
    createNodeProto("Gemm", ["flat", "fc_w", "fc_b"], ["y"], { attribute: [int("transB", 1)] }),
  ];
  return createModel(nodes, opset, init, [createTensorValueInfo("x", DTYPE.FLOAT, [1, 3, 16, 16])], [createTensorValueInfo("y", DTYPE.FLOAT, [1, 10])]);
}

/**
 * Transformer-like block: x[batch, 16, 64] → MatMul(64→256)+bias → Relu → MatMul(256→64)+bias → Add(residual)
 * → self-attention-ish scores MatMul(x, xᵀ) → Softmax → MatMul(scores, h) → y.
 */
export function buildMlpBlock(opts: { opset?: number; seed?: number; hidden?: number; dim?: number } = {}): TModelProto {
  const rng = createRandom(opts.seed ?? 2);
  const d = opts.dim ?? 64;
  const h = opts.hidden ?? 256;
  const init = [
    createFloatTensor("w_up", [d, h], randomTensor(rng, d * h, 1 / Math.sqrt(d))),
    createFloatTensor("b_up", [h], randomTensor(rng, h, 0.05)),
    createFloatTensor("w_down", [h, d], randomTensor(rng, h * d, 1 / Math.sqrt(h))),
    createFloatTensor("b_down", [d], randomTensor(rng, d, 0.05)),
    createFloatTensor("w_q", [d, d], randomTensor(rng, d * d, 1 / Math.sqrt(d))),
    createInt64Tensor("perm_shape", [0], []),
  ];
  init.pop();
  const nodes: TNodeProto[] = [
    createNodeProto("MatMul", ["x", "w_up"], ["up"]),
    createNodeProto("Add", ["up", "b_up"], ["up_b"]),
    createNodeProto("Relu", ["up_b"], ["act"]),
    createNodeProto("MatMul", ["act", "w_down"], ["down"]),
    createNodeProto("Add", ["down", "b_down"], ["down_b"]),
    createNodeProto("Add", ["down_b", "x"], ["res"]),
    createNodeProto("MatMul", ["res", "w_q"], ["q"]),
    createNodeProto("Transpose", ["res"], ["res_t"], { attribute: [ints("perm", [0, 2, 1])] }),
    createNodeProto("MatMul", ["q", "res_t"], ["scores"]),
    createNodeProto("Softmax", ["scores"], ["probs"], { attribute: [int("axis", -1)] }),
    createNodeProto("MatMul", ["probs", "res"], ["y"]),
  ];
  return createModel(nodes, opts.opset ?? 13, init, [createTensorValueInfo("x", DTYPE.FLOAT, ["batch", 16, d])], [createTensorValueInfo("y", DTYPE.FLOAT, ["batch", 16, d])]);
}

/** Seeded random float32 feeds. */
export function createRandomFeeds(name: string, dims: number[], seed: number, std = 1): Record<string, TRuntimeTensor> {
  const rng = createRandom(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return { [name]: { type: "float32", dims, data: randomTensor(rng, n, std) } };
}

/** Runs a model once and returns its outputs. */
export async function runModel(model: TModelProto, feeds: Record<string, TRuntimeTensor>, opts: { optimizedModelFilePath?: string } = {}): Promise<Record<string, TRuntimeTensor>> {
  const session = await createInferenceSession(encodeModel(model), { intraOpThreads: 1, optimizedModelFilePath: opts.optimizedModelFilePath });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** Cosine similarity of two float arrays. */
export function computeCosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb);
}

/** Counts nodes by op type (top-level graph). */
export function countOps(model: TModelProto): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of model.graph!.node) out[n.opType ?? ""] = (out[n.opType ?? ""] ?? 0) + 1;
  return out;
}
