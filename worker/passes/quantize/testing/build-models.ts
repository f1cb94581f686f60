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

/**
 * Weights inside If branches, as silero VAD keeps them: x[1,4,32], cond → If:
 * then: MatMul(x, W_then: Constant node inside the branch) → Relu → MatMul(·, W_out: outer-scope initializer);
 * else: Conv-free MatMul(x, W_else: outer-scope initializer) → Add(bias inside) → MatMul(·, W_out).
 * Both branches give [1,4,32]; W_out is shared by the two branches.
 */
export function buildIfMatMulModel(opts: { seed?: number } = {}): TModelProto {
  const rng = createRandom(opts.seed ?? 5);
  const d = 32;
  const h = 64;
  const then = createEmptyGraphProto("then_branch");
  then.node = [
    createNodeProto("Constant", [], ["w_then"], { name: "then_const", attribute: [createAttribute("value", createFloatTensor("w_then", [d, h], randomTensor(rng, d * h, 1 / Math.sqrt(d))))] }),
    createNodeProto("MatMul", ["x", "w_then"], ["then_up"], { name: "then_matmul" }),
    createNodeProto("Relu", ["then_up"], ["then_act"], { name: "then_relu" }),
    createNodeProto("MatMul", ["then_act", "w_out"], ["then_y"], { name: "then_out_matmul" }),
  ];
  then.output = [createTensorValueInfo("then_y", DTYPE.FLOAT, [1, 4, d])];
  const els = createEmptyGraphProto("else_branch");
  els.initializer = [createFloatTensor("b_else", [h], randomTensor(rng, h, 0.05))];
  els.node = [
    createNodeProto("MatMul", ["x", "w_else"], ["else_up"], { name: "else_matmul" }),
    createNodeProto("Add", ["else_up", "b_else"], ["else_up_b"], { name: "else_bias" }),
    createNodeProto("MatMul", ["else_up_b", "w_out"], ["else_y"], { name: "else_out_matmul" }),
  ];
  els.output = [createTensorValueInfo("else_y", DTYPE.FLOAT, [1, 4, d])];
  const init = [
    createFloatTensor("w_else", [d, h], randomTensor(rng, d * h, 1 / Math.sqrt(d))),
    createFloatTensor("w_out", [h, d], randomTensor(rng, h * d, 1 / Math.sqrt(h))),
  ];
  const nodes = [createNodeProto("If", ["cond"], ["y"], { name: "branch", attribute: [createAttribute("then_branch", then), createAttribute("else_branch", els)] })];
  return createModel(nodes, 17, init, [createTensorValueInfo("x", DTYPE.FLOAT, [1, 4, d]), createTensorValueInfo("cond", DTYPE.BOOL, [])], [createTensorValueInfo("y", DTYPE.FLOAT, [1, 4, d])]);
}

/**
 * A MatMul-heavy fixture: a pre-LN transformer encoder without embeddings, x[batch, seq, dim] → `blocks` ×
 * (LayerNorm → Q/K/V MatMul+bias → `heads`-head scaled dot-product attention (Softmax) → output MatMul+bias →
 * residual → LayerNorm → MLP dim→4·dim with exact Gelu (Erf) → 4·dim→dim → residual) → final LayerNorm.
 * Weights seeded normal with std 1/√fan_in (what trained encoders look like in scale), LayerNorm γ≈1, β≈0.
 * Nearly all bytes are 2-D MatMul weights, as in BERT-style models. Opset 17 (LayerNormalization).
 */
export function buildTransformerEncoder(opts: { dim?: number; heads?: number; blocks?: number; seed?: number } = {}): TModelProto {
  const rng = createRandom(opts.seed ?? 11);
  const d = opts.dim ?? 384;
  const heads = opts.heads ?? 6;
  const blocks = opts.blocks ?? 4;
  const hd = d / heads;
  const ff = 4 * d;
  const init: ReturnType<typeof createFloatTensor>[] = [
    createInt64Tensor("heads_shape", [4], [0, 0, heads, hd]),
    createInt64Tensor("merge_shape", [3], [0, 0, d]),
    createFloatTensor("attn_scale", [], Float32Array.of(1 / Math.sqrt(hd))),
    createFloatTensor("gelu_sqrt2", [], Float32Array.of(Math.SQRT2)),
    createFloatTensor("one", [], Float32Array.of(1)),
    createFloatTensor("half", [], Float32Array.of(0.5)),
  ];
  const nodes: TNodeProto[] = [];
  const weight = (name: string, rows: number, cols: number) => init.push(createFloatTensor(name, [rows, cols], randomTensor(rng, rows * cols, 1 / Math.sqrt(rows))));
  const vector = (name: string, n: number, mean: number, std: number) => init.push(createFloatTensor(name, [n], Float32Array.from(randomTensor(rng, n, std), (v) => v + mean)));
  const layerNorm = (p: string, x: string) => {
    vector(`${p}_gamma`, d, 1, 0.05);
    vector(`${p}_beta`, d, 0, 0.02);
    nodes.push(createNodeProto("LayerNormalization", [x, `${p}_gamma`, `${p}_beta`], [`${p}_out`], { name: p, attribute: [int("axis", -1), createAttribute("epsilon", 1e-5)] }));
    return `${p}_out`;
  };
  const linear = (p: string, x: string, rows: number, cols: number) => {
    weight(`${p}_w`, rows, cols);
    vector(`${p}_b`, cols, 0, 0.02);
    nodes.push(createNodeProto("MatMul", [x, `${p}_w`], [`${p}_mm`], { name: `${p}_MatMul` }));
    nodes.push(createNodeProto("Add", [`${p}_mm`, `${p}_b`], [`${p}_out`], { name: `${p}_Add` }));
    return `${p}_out`;
  };
  const splitHeads = (p: string, x: string, perm: number[]) => {
    nodes.push(createNodeProto("Reshape", [x, "heads_shape"], [`${p}_heads`], { name: `${p}_Reshape` }));
    nodes.push(createNodeProto("Transpose", [`${p}_heads`], [`${p}_t`], { name: `${p}_Transpose`, attribute: [ints("perm", perm)] }));
    return `${p}_t`;
  };
  let x = "x";
  for (let b = 0; b < blocks; b++) {
    const p = `block${b}`;
    const n1 = layerNorm(`${p}_ln1`, x);
    const q = splitHeads(`${p}_q`, linear(`${p}_q`, n1, d, d), [0, 2, 1, 3]);
    const k = splitHeads(`${p}_k`, linear(`${p}_k`, n1, d, d), [0, 2, 3, 1]);
    const v = splitHeads(`${p}_v`, linear(`${p}_v`, n1, d, d), [0, 2, 1, 3]);
    nodes.push(createNodeProto("MatMul", [q, k], [`${p}_scores`], { name: `${p}_scores_MatMul` }));
    nodes.push(createNodeProto("Mul", [`${p}_scores`, "attn_scale"], [`${p}_scaled`], { name: `${p}_scale_Mul` }));
    nodes.push(createNodeProto("Softmax", [`${p}_scaled`], [`${p}_probs`], { name: `${p}_Softmax`, attribute: [int("axis", -1)] }));
    nodes.push(createNodeProto("MatMul", [`${p}_probs`, v], [`${p}_ctx`], { name: `${p}_ctx_MatMul` }));
    nodes.push(createNodeProto("Transpose", [`${p}_ctx`], [`${p}_ctx_t`], { name: `${p}_ctx_Transpose`, attribute: [ints("perm", [0, 2, 1, 3])] }));
    nodes.push(createNodeProto("Reshape", [`${p}_ctx_t`, "merge_shape"], [`${p}_merged`], { name: `${p}_merge_Reshape` }));
    const o = linear(`${p}_o`, `${p}_merged`, d, d);
    nodes.push(createNodeProto("Add", [x, o], [`${p}_res1`], { name: `${p}_res1_Add` }));
    const n2 = layerNorm(`${p}_ln2`, `${p}_res1`);
    const up = linear(`${p}_ff1`, n2, d, ff);
    // Exact Gelu as exporters write it: 0.5·x·(1 + erf(x/√2)).
    nodes.push(createNodeProto("Div", [up, "gelu_sqrt2"], [`${p}_gelu_div`], { name: `${p}_gelu_Div` }));
    nodes.push(createNodeProto("Erf", [`${p}_gelu_div`], [`${p}_gelu_erf`], { name: `${p}_gelu_Erf` }));
    nodes.push(createNodeProto("Add", [`${p}_gelu_erf`, "one"], [`${p}_gelu_add`], { name: `${p}_gelu_Add` }));
    nodes.push(createNodeProto("Mul", [up, `${p}_gelu_add`], [`${p}_gelu_mul`], { name: `${p}_gelu_Mul` }));
    nodes.push(createNodeProto("Mul", [`${p}_gelu_mul`, "half"], [`${p}_gelu`], { name: `${p}_gelu_half_Mul` }));
    const down = linear(`${p}_ff2`, `${p}_gelu`, ff, d);
    nodes.push(createNodeProto("Add", [`${p}_res1`, down], [`${p}_out`], { name: `${p}_res2_Add` }));
    x = `${p}_out`;
  }
  const y = layerNorm("final_ln", x);
  nodes.push(createNodeProto("Identity", [y], ["y"], { name: "output_Identity" }));
  return createModel(nodes, 17, init, [createTensorValueInfo("x", DTYPE.FLOAT, ["batch", "seq", d])], [createTensorValueInfo("y", DTYPE.FLOAT, ["batch", "seq", d])]);
}
