/**
 * A generated classification task with known labels, for measuring accuracy (not just fidelity) of models the
 * engine trains: 10 classes of procedurally drawn shapes (squares, disks, rings, bars, diagonals, crosses) at random
 * positions, sizes and intensities with Gaussian noise; and a small CNN (Conv/Relu/MaxPool ×2, Conv/Relu,
 * GlobalAveragePool, Gemm) with He-initialised weights to train on it.
 */
import { DTYPE, createTensor } from "../onnx/dtypes";
import { createAttribute, createEmptyGraphProto, createNodeProto, createTensorValueInfo, type TModelProto } from "../onnx/onnx-proto";
import type { TDataSource } from "../data/data-source";
import { createNormalRandom, createRandom } from "./random";

export const SHAPE_CLASS_COUNT = 10;

export type TShapesDataset = { images: Float32Array; labels: Int32Array; count: number; size: number };

type TShapeTest = (dx: number, dy: number, r: number) => boolean;

const SHAPES: readonly TShapeTest[] = [
  (dx, dy, r) => Math.abs(dx) <= r && Math.abs(dy) <= r,
  (dx, dy, r) => Math.max(Math.abs(dx), Math.abs(dy)) >= r - 1 && Math.max(Math.abs(dx), Math.abs(dy)) <= r,
  (dx, dy, r) => Math.hypot(dx, dy) <= r,
  (dx, dy, r) => Math.abs(Math.hypot(dx, dy) - r) <= 0.8,
  (dx, dy, r) => Math.abs(dy) <= 1 && Math.abs(dx) <= r,
  (dx, dy, r) => Math.abs(dx) <= 1 && Math.abs(dy) <= r,
  (dx, dy, r) => Math.abs(dx - dy) <= 0.8 && Math.abs(dx) <= r,
  (dx, dy, r) => Math.abs(dx + dy) <= 0.8 && Math.abs(dx) <= r,
  (dx, dy, r) => (Math.abs(dx) <= 0.8 || Math.abs(dy) <= 0.8) && Math.max(Math.abs(dx), Math.abs(dy)) <= r,
  (dx, dy, r) => (Math.abs(dx - dy) <= 0.8 || Math.abs(dx + dy) <= 0.8) && Math.max(Math.abs(dx), Math.abs(dy)) <= r,
];

/** `count` images [count, 1, size, size] in roughly [0, 1] with balanced labels, reproducible from `seed`. */
export function generateShapesDataset(count: number, opts: { size?: number; seed?: number; noise?: number } = {}): TShapesDataset {
  const size = opts.size ?? 16;
  const random = createRandom(opts.seed ?? 1);
  const normal = createNormalRandom((opts.seed ?? 1) + 1000);
  const images = new Float32Array(count * size * size);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % SHAPE_CLASS_COUNT;
    labels[n] = label;
    const r = size * (0.18 + 0.14 * random());
    const cx = size / 2 - 0.5 + (random() - 0.5) * (size - 2 * r - 2);
    const cy = size / 2 - 0.5 + (random() - 0.5) * (size - 2 * r - 2);
    const intensity = 0.6 + 0.4 * random();
    const test = SHAPES[label]!;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = test(x - cx, y - cy, r) ? intensity : 0;
        images[n * size * size + y * size + x] = v + (opts.noise ?? 0.15) * normal();
      }
    }
  }
  return { images, labels, count, size };
}

/** One-hot float rows for integer labels. */
export function createOneHot(labels: Int32Array, classes = SHAPE_CLASS_COUNT): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => (out[i * classes + l] = 1));
  return out;
}

/** The CNN's input and output names. */
export const SHAPES_CNN_IO = { input: "image", output: "logits" } as const;

/**
 * A CNN for [N, 1, size, size] images: three 3×3 convolutions of `widths` channels (pool after the first two),
 * global average pooling and a linear classifier. Batch size is symbolic.
 */
export function createShapesCnn(opts: { size?: number; widths?: [number, number, number]; seed?: number } = {}): TModelProto {
  const size = opts.size ?? 16;
  const [c1, c2, c3] = opts.widths ?? [16, 32, 64];
  const normal = createNormalRandom(opts.seed ?? 7);
  const g = createEmptyGraphProto("shapes-cnn");
  const he = (name: string, dims: number[], fanIn: number) => {
    const count = dims.reduce((a, b) => a * b, 1);
    const std = Math.sqrt(2 / fanIn);
    g.initializer.push(createTensor(name, DTYPE.FLOAT, dims, Float32Array.from({ length: count }, () => normal() * std)));
  };
  const zeros = (name: string, n: number) => g.initializer.push(createTensor(name, DTYPE.FLOAT, [n], new Float32Array(n)));
  const ints = (name: string, v: number[]) => createAttribute(name, v, { asInt: true });
  he("conv1.w", [c1, 1, 3, 3], 9);
  zeros("conv1.b", c1);
  he("conv2.w", [c2, c1, 3, 3], 9 * c1);
  zeros("conv2.b", c2);
  he("conv3.w", [c3, c2, 3, 3], 9 * c2);
  zeros("conv3.b", c3);
  he("fc.w", [SHAPE_CLASS_COUNT, c3], c3);
  zeros("fc.b", SHAPE_CLASS_COUNT);
  const conv = (x: string, w: string, b: string, y: string) =>
    createNodeProto("Conv", [x, w, b], [y], { name: y, attribute: [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1])] });
  const pool = (x: string, y: string) =>
    createNodeProto("MaxPool", [x], [y], { name: y, attribute: [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])] });
  g.node.push(
    conv("image", "conv1.w", "conv1.b", "conv1"),
    createNodeProto("Relu", ["conv1"], ["relu1"], { name: "relu1" }),
    pool("relu1", "pool1"),
    conv("pool1", "conv2.w", "conv2.b", "conv2"),
    createNodeProto("Relu", ["conv2"], ["relu2"], { name: "relu2" }),
    pool("relu2", "pool2"),
    conv("pool2", "conv3.w", "conv3.b", "conv3"),
    createNodeProto("Relu", ["conv3"], ["relu3"], { name: "relu3" }),
    createNodeProto("GlobalAveragePool", ["relu3"], ["gap"], { name: "gap" }),
    createNodeProto("Flatten", ["gap"], ["features"], { name: "flatten" }),
    createNodeProto("Gemm", ["features", "fc.w", "fc.b"], ["logits"], { name: "fc", attribute: [createAttribute("transB", 1, { asInt: true })] }),
  );
  g.input.push(createTensorValueInfo("image", DTYPE.FLOAT, ["N", 1, size, size]));
  g.output.push(createTensorValueInfo("logits", DTYPE.FLOAT, ["N", SHAPE_CLASS_COUNT]));
  return { irVersion: 8, opsetImport: [{ domain: "", version: 17 }], graph: g, metadataProps: [], trainingInfo: [], functions: [], producerName: "condense-train" };
}

/** The dataset as a labelled data source (what a user's calibration upload with labels.npy becomes). */
export function createShapesDataSource(data: TShapesDataset, batchSize = 32, opts: { withLabels?: boolean } = {}): TDataSource {
  const withLabels = opts.withLabels ?? true;
  const pixels = data.size * data.size;
  return {
    source: "user",
    description: `generated shapes (${data.count} samples of ${data.size}×${data.size}${withLabels ? ", labelled" : ""})`,
    sampleCount: data.count,
    hasLabels: withLabels,
    batches: async function* () {
      for (let start = 0; start < data.count; start += batchSize) {
        const n = Math.min(batchSize, data.count - start);
        yield {
          feeds: { [SHAPES_CNN_IO.input]: { dtype: "float32", dims: [n, 1, data.size, data.size], data: data.images.slice(start * pixels, (start + n) * pixels) } },
          ...(withLabels ? { labels: { dtype: "int64" as const, dims: [n], data: BigInt64Array.from(data.labels.slice(start, start + n), (v) => BigInt(v)) } } : {}),
          sampleCount: n,
        };
      }
    },
  };
}
