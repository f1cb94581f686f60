/** Generated graphs for the pruning unit tests: one per coupling pattern, with seeded random weights. */
import { createRandom } from "../../data/generate-inputs";
import { DTYPE, createTensor, readTensorAsFloat32 } from "../../onnx/dtypes";
import { OnnxGraph } from "../../onnx/graph";
import { encodeModel } from "../../onnx/model-io";
import { createAttribute, createEmptyGraphProto, createNodeProto, createTensorValueInfo, type TGraphProto, type TModelProto } from "../../onnx/onnx-proto";
import { wrapGraph } from "../../onnx/tiny-models.test-helper";
import { createInferenceSession, type TRuntimeTensor } from "../../runtime/ort";
import type { TChannelGroup } from "./channel-graph";
import type { TChannelImportance } from "./channel-importance";

type TBuilder = { g: TGraphProto; rand: () => number };

function builder(name: string, inputShape: number[], outputName = "y"): TBuilder {
  const g = createEmptyGraphProto(name);
  g.input.push(createTensorValueInfo("x", DTYPE.FLOAT, inputShape));
  g.output.push({ name: outputName, metadataProps: [] });
  return { g, rand: createRandom(42) };
}

function weight(b: TBuilder, name: string, dims: number[], scale = 0.5, offset = 0): string {
  const n = dims.reduce((a, c) => a * c, 1);
  b.g.initializer.push(createTensor(name, DTYPE.FLOAT, dims, Array.from({ length: n }, () => offset + (b.rand() * 2 - 1) * scale)));
  return name;
}

function conv(b: TBuilder, name: string, input: string, cin: number, cout: number, k: number, opts: { group?: number; bias?: boolean } = {}): string {
  const group = opts.group ?? 1;
  const inputs = [input, weight(b, `${name}.w`, [cout, cin / group, k, k])];
  if (opts.bias) inputs.push(weight(b, `${name}.b`, [cout]));
  b.g.node.push(
    createNodeProto("Conv", inputs, [`${name}.out`], {
      name,
      attribute: [
        createAttribute("kernel_shape", [k, k], { asInt: true }),
        createAttribute("pads", [(k - 1) / 2, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2], { asInt: true }),
        createAttribute("group", group, { asInt: true }),
      ],
    }),
  );
  return `${name}.out`;
}

function op(b: TBuilder, opType: string, inputs: string[], name: string, attribute = [] as ReturnType<typeof createAttribute>[]): string {
  b.g.node.push(createNodeProto(opType, inputs, [`${name}.out`], { name, attribute }));
  return `${name}.out`;
}

/** Names the last node's output "y" (the graph output) and wraps the graph at opset 13. */
function finish(b: TBuilder): TModelProto {
  b.g.node[b.g.node.length - 1].output[0] = "y";
  return wrapGraph(b.g, { opset: 13 });
}

/** Conv → BN → Relu → a; ConvB(a) → b; Add(a, b) · per-channel constant → ConvC → y. */
export function buildResidualModel(): TModelProto {
  const b = builder("residual", [1, 4, 8, 8]);
  const c = conv(b, "convA", "x", 4, 16, 3, { bias: true });
  const bn = op(b, "BatchNormalization", [c, weight(b, "bn.scale", [16], 0.5, 1), weight(b, "bn.bias", [16]), weight(b, "bn.mean", [16]), weight(b, "bn.var", [16], 0.2, 1)], "bn");
  const a = op(b, "Relu", [bn], "relu");
  const cb = conv(b, "convB", a, 16, 16, 1);
  const s = op(b, "Add", [a, cb], "add");
  const m = op(b, "Mul", [s, weight(b, "scale", [1, 16, 1, 1], 0.5, 1)], "mul");
  conv(b, "convC", m, 16, 4, 3);
  return finish(b);
}

/** Two Convs concatenated on channels, then ConvC. */
export function buildConcatModel(): TModelProto {
  const b = builder("concat", [1, 4, 8, 8]);
  const a = op(b, "Relu", [conv(b, "convA", "x", 4, 16, 3)], "reluA");
  const c = conv(b, "convB", "x", 4, 16, 1, { bias: true });
  const cat = op(b, "Concat", [a, c], "cat", [createAttribute("axis", 1, { asInt: true })]);
  conv(b, "convC", cat, 32, 4, 3);
  return finish(b);
}

/** Conv → depthwise Conv (group 16) → Relu → ConvC. */
export function buildDepthwiseModel(): TModelProto {
  const b = builder("depthwise", [1, 4, 8, 8]);
  const a = conv(b, "convA", "x", 4, 16, 1, { bias: true });
  const d = conv(b, "dw", a, 16, 16, 3, { group: 16, bias: true });
  const r = op(b, "Relu", [d], "relu");
  conv(b, "convC", r, 16, 4, 1);
  return finish(b);
}

/** Squeeze-and-excitation: a · HardSigmoid(ConvS2(Relu(ConvS1(GAP(a))))) → ConvC. */
export function buildSeModel(): TModelProto {
  const b = builder("se", [1, 4, 8, 8]);
  const a = op(b, "Relu", [conv(b, "convA", "x", 4, 16, 3, { bias: true })], "reluA");
  const gap = op(b, "GlobalAveragePool", [a], "gap");
  const s1 = op(b, "Relu", [conv(b, "convS1", gap, 16, 8, 1, { bias: true })], "reluS");
  const s2 = op(b, "HardSigmoid", [conv(b, "convS2", s1, 8, 16, 1, { bias: true })], "hsig");
  const m = op(b, "Mul", [a, s2], "mul");
  conv(b, "convC", m, 16, 4, 1);
  return finish(b);
}

/** Conv → Relu → Flatten → Gemm(256→16) → Relu → Gemm(16→10) → y. */
export function buildFlattenGemmModel(): TModelProto {
  const b = builder("flatten-gemm", [1, 4, 4, 4]);
  const a = op(b, "Relu", [conv(b, "convA", "x", 4, 16, 3, { bias: true })], "reluA");
  const f = op(b, "Flatten", [a], "flatten", [createAttribute("axis", 1, { asInt: true })]);
  const g1 = op(b, "Gemm", [f, weight(b, "fc1.w", [16, 256], 0.1), weight(b, "fc1.b", [16])], "fc1", [createAttribute("transB", 1, { asInt: true })]);
  const r = op(b, "Relu", [g1], "reluF");
  op(b, "Gemm", [r, weight(b, "fc2.w", [16, 10]), weight(b, "fc2.b", [10])], "fc2");
  return finish(b);
}

/**
 * A small classifier with a batch of 4: convA (4→16, 3×3) → Relu → convC (16→8, 1×1) → GAP → Flatten → fc (8→3) →
 * Softmax → y. Channel pruning of convA is the only prunable group with 16 channels.
 */
export function buildClassifierModel(): TModelProto {
  const b = builder("classifier", [4, 4, 8, 8]);
  const a = op(b, "Relu", [conv(b, "convA", "x", 4, 16, 3, { bias: true })], "reluA");
  const c = op(b, "Relu", [conv(b, "convC", a, 16, 8, 1, { bias: true })], "reluC");
  const f = op(b, "Flatten", [op(b, "GlobalAveragePool", [c], "gap")], "flatten", [createAttribute("axis", 1, { asInt: true })]);
  const logits = op(b, "Gemm", [f, weight(b, "fc.w", [8, 3], 1), weight(b, "fc.b", [3])], "fc");
  op(b, "Softmax", [logits], "softmax", [createAttribute("axis", -1, { asInt: true })]);
  return finish(b);
}

/** Conv → Relu → grouped Conv (16→16, group 4, 3×3) → Relu → ConvC. */
export function buildGroupedConvModel(): TModelProto {
  const b = builder("grouped", [1, 4, 8, 8]);
  const a = op(b, "Relu", [conv(b, "convA", "x", 4, 16, 1, { bias: true })], "reluA");
  const g = op(b, "Relu", [conv(b, "convG", a, 16, 16, 3, { group: 4, bias: true })], "reluG");
  conv(b, "convC", g, 16, 4, 1);
  return finish(b);
}

/** Concat of two Conv outputs split back into two parts (split sizes as an input, opset 13), each into a Conv. */
export function buildSplitModel(): TModelProto {
  const b = builder("split", [1, 4, 8, 8]);
  const a = conv(b, "convA", "x", 4, 16, 3);
  const c = conv(b, "convB", "x", 4, 16, 1, { bias: true });
  const cat = op(b, "Concat", [a, c], "cat", [createAttribute("axis", 1, { asInt: true })]);
  b.g.initializer.push(createTensor("split.sizes", DTYPE.INT64, [2], [16n, 16n]));
  b.g.node.push(createNodeProto("Split", [cat, "split.sizes"], ["p0", "p1"], { name: "split", attribute: [createAttribute("axis", 1, { asInt: true })] }));
  const y0 = conv(b, "convC", "p0", 16, 4, 1);
  const y1 = conv(b, "convD", "p1", 16, 4, 3);
  op(b, "Add", [y0, y1], "sum");
  return finish(b);
}

/**
 * Reference for pruning: in a copy of the original, zero the input slices of `channels` in a consumer's weight
 * (`axis` of the weight; `inner` consecutive entries per channel, e.g. a flattened Conv map feeding a Gemm).
 */
export function zeroInputChannels(model: TModelProto, node: string, axis: number, channels: readonly number[], inner = 1): void {
  const g = new OnnxGraph(model.graph!);
  const n = g.graph.node.find((x) => x.name === node)!;
  const t = g.findInitializer(n.input[1])!;
  const values = readTensorAsFloat32(t);
  const dims = t.dims;
  const size = dims[axis];
  const stride = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < values.length; i++) {
    const idx = Math.floor(i / stride) % size;
    if (channels.includes(Math.floor(idx / inner))) values[i] = 0;
  }
  g.setInitializer(createTensor(t.name!, DTYPE.FLOAT, dims, values));
}

/** An importance that ranks the given channels lowest in every group whose producers include `producer`. */
export function createForcedImportance(lowest: Record<string, readonly number[]>): TChannelImportance {
  return {
    name: "forced",
    scoreGroup: (group: TChannelGroup) => {
      const scores = new Float32Array(group.size).fill(1);
      for (const p of group.producers) for (const c of lowest[p.node.name ?? ""] ?? []) scores[c] = 0;
      return scores;
    },
  };
}

/** Runs a model on the given feeds and returns output y as floats. */
export async function runModel(model: TModelProto, feeds: Record<string, TRuntimeTensor>, output = "y"): Promise<Float32Array> {
  const s = await createInferenceSession(encodeModel(model), { intraOpThreads: 1 });
  try {
    return (await s.run(feeds))[output].data as Float32Array;
  } finally {
    await s.release();
  }
}

/** Largest absolute difference of two equal-length arrays. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
