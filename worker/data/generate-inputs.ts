/**
 * Inputs generated from a model's signature when the user gives no data: symbolic dimensions get a configurable
 * size, values are deterministic (seeded) and suited to the dtype: floats ~ N(0, 1), integers small and
 * non-negative (they are often indices, lengths or ids), bools 0/1.
 */
import { AppError } from "../../contracts/app-error";
import { DTYPE, getDtype, numberToBfloat16Bits, numberToFloat16Bits } from "../onnx/dtypes";
import type { TModelProto, TValueInfoProto } from "../onnx/onnx-proto";
import { listFeedInputs } from "../onnx/tensor-info";
import { createRuntimeTensor, type TInferenceSession, type TRuntimeTensor, type TRuntimeTensorType } from "../runtime/ort";

export type TGenerateInputsOptions = {
  /** Size for symbolic or unknown dimensions (batch, sequence, height, ...). */
  dynamicDimSize?: number;
  /**
   * Size for symbolic dimensions after the first one (sequence length, image size); default dynamicDimSize.
   * Models that pad or convolve along such dims fail on size 1, hence `generateRunnableInputs`.
   */
  innerDynamicDimSize?: number;
  /**
   * Which inputs get innerDynamicDimSize on their unnamed inner dims: "all", or only "widest-input" (the input with
   * the most symbolic dims, typically the data; recurrent state inputs keep their unnamed batch dim small).
   */
  innerDimScope?: "all" | "widest-input";
  /** Per-dimension-name sizes, e.g. { batch: 4 }; wins over the sizes above. */
  dimSizes?: Record<string, number>;
  seed?: number;
  /** Largest integer value generated (exclusive) for integer inputs. */
  intHigh?: number;
};

/** Deterministic 32-bit PRNG (mulberry32): same seed, same inputs, on every machine. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Concrete shape of an input: fixed dims as is; symbolic ones from `dimSizes`, else dynamicDimSize for batch-like
 * dims (the first dim, or a named dim that is the first dim of some input), else innerDynamicDimSize.
 */
export function resolveInputShape(
  v: TValueInfoProto,
  opts: TGenerateInputsOptions = {},
  ctx: { batchDimNames?: ReadonlySet<string>; isWidest?: boolean } = {},
): number[] {
  const dims = v.type?.tensorType?.shape?.dim;
  if (!dims) return [];
  const fallback = opts.dynamicDimSize ?? 1;
  return dims.map((d, i) => {
    if (d.dimValue !== undefined && d.dimValue >= 0) return d.dimValue;
    const named = d.dimParam !== undefined && d.dimParam !== "";
    if (named && opts.dimSizes?.[d.dimParam!] !== undefined) return opts.dimSizes[d.dimParam!];
    if (i === 0 || (named && ctx.batchDimNames?.has(d.dimParam!))) return fallback;
    if (opts.innerDynamicDimSize === undefined) return fallback;
    if (!named && opts.innerDimScope === "widest-input" && ctx.isWidest === false) return fallback;
    return opts.innerDynamicDimSize;
  });
}

/** Generates one tensor for a graph input. */
export function generateInputTensor(
  v: TValueInfoProto,
  opts: TGenerateInputsOptions = {},
  ctx: { batchDimNames?: ReadonlySet<string>; isWidest?: boolean } = {},
): TRuntimeTensor {
  const name = v.name ?? "";
  const tensorType = v.type?.tensorType;
  if (!tensorType) {
    throw new AppError("UNPROCESSABLE", {
      userMessage: `input "${name}" is not a tensor (sequence/map/optional inputs need user-supplied data)`,
    });
  }
  const dtype = getDtype(tensorType.elemType);
  if (!dtype.ortType || dtype.id === DTYPE.INT4 || dtype.id === DTYPE.UINT4) {
    throw new AppError("UNPROCESSABLE", {
      userMessage: `input "${name}" has element type ${dtype.name}, which onnxruntime cannot take as a model input`,
    });
  }
  const shape = resolveInputShape(v, opts, ctx);
  const count = shape.reduce((a, b) => a * b, 1);
  const rand = createRandom(hashString(name) ^ (opts.seed ?? 0));
  const gauss = () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const intHigh = opts.intHigh ?? 8;
  const int = (high: number) => Math.floor(rand() * high);
  const type = dtype.ortType as TRuntimeTensorType;
  switch (dtype.id) {
    case DTYPE.FLOAT:
      return createRuntimeTensor(type, Float32Array.from({ length: count }, gauss), shape);
    case DTYPE.DOUBLE:
      return createRuntimeTensor(type, Float64Array.from({ length: count }, gauss), shape);
    case DTYPE.FLOAT16:
      return createRuntimeTensor(type, Uint16Array.from({ length: count }, () => numberToFloat16Bits(gauss())), shape);
    case DTYPE.BFLOAT16:
      return createRuntimeTensor(type, Uint16Array.from({ length: count }, () => numberToBfloat16Bits(gauss())), shape);
    case DTYPE.INT8:
      return createRuntimeTensor(type, Int8Array.from({ length: count }, () => int(intHigh)), shape);
    case DTYPE.UINT8:
      return createRuntimeTensor(type, Uint8Array.from({ length: count }, () => int(intHigh)), shape);
    case DTYPE.INT16:
      return createRuntimeTensor(type, Int16Array.from({ length: count }, () => int(intHigh)), shape);
    case DTYPE.UINT16:
      return createRuntimeTensor(type, Uint16Array.from({ length: count }, () => int(intHigh)), shape);
    case DTYPE.INT32:
      return createRuntimeTensor(type, Int32Array.from({ length: count }, () => int(intHigh)), shape);
    case DTYPE.UINT32:
      return createRuntimeTensor(type, Uint32Array.from({ length: count }, () => int(intHigh)), shape);
    case DTYPE.INT64:
      return createRuntimeTensor(type, BigInt64Array.from({ length: count }, () => BigInt(int(intHigh))), shape);
    case DTYPE.UINT64:
      return createRuntimeTensor(type, BigUint64Array.from({ length: count }, () => BigInt(int(intHigh))), shape);
    case DTYPE.BOOL:
      return createRuntimeTensor(type, Uint8Array.from({ length: count }, () => int(2)), shape);
    case DTYPE.STRING:
      return createRuntimeTensor(type, Array.from({ length: count }, () => `s${int(intHigh)}`), shape);
    default:
      throw new AppError("UNPROCESSABLE", { userMessage: `input "${name}" has unsupported element type ${dtype.name}` });
  }
}

/** Generates a feed for every input the model needs (initializer-backed inputs excluded). */
export function generateInputs(model: TModelProto, opts: TGenerateInputsOptions = {}): Record<string, TRuntimeTensor> {
  if (!model.graph) return {};
  const inputs = listFeedInputs(model.graph);
  const batchDimNames = new Set<string>();
  const symbolicCount = inputs.map((v) => {
    const dims = v.type?.tensorType?.shape?.dim ?? [];
    if (dims[0]?.dimParam) batchDimNames.add(dims[0].dimParam);
    return dims.filter((d) => d.dimValue === undefined).length;
  });
  const widest = symbolicCount.indexOf(Math.max(0, ...symbolicCount));
  const feeds: Record<string, TRuntimeTensor> = {};
  inputs.forEach((v, i) => {
    feeds[v.name ?? ""] = generateInputTensor(v, opts, { batchDimNames, isWidest: i === widest });
  });
  return feeds;
}

/** Inner symbolic-dim choices tried, in order, when the model rejects the previous one. */
export const INNER_DIM_CANDIDATES: readonly Pick<TGenerateInputsOptions, "innerDynamicDimSize" | "innerDimScope">[] = [
  {},
  ...[16, 64, 256, 1024].flatMap((size) => [
    { innerDynamicDimSize: size, innerDimScope: "all" as const },
    { innerDynamicDimSize: size, innerDimScope: "widest-input" as const },
  ]),
];

/**
 * Generates inputs and checks the session runs on them; when it fails (e.g. a sequence of length 1 is too short
 * to pad), retries with larger inner symbolic dims. Returns the feeds, the options that worked and the first output.
 * Throws the last runtime error when no candidate works.
 */
export async function generateRunnableInputs(
  session: TInferenceSession,
  model: TModelProto,
  opts: TGenerateInputsOptions = {},
): Promise<{ feeds: Record<string, TRuntimeTensor>; options: TGenerateInputsOptions }> {
  let lastError: unknown;
  const hasSymbolic = (model.graph ? listFeedInputs(model.graph) : []).some((v) =>
    v.type?.tensorType?.shape?.dim.some((d, i) => i > 0 && d.dimValue === undefined),
  );
  const candidates = opts.innerDynamicDimSize !== undefined || !hasSymbolic ? [{}] : INNER_DIM_CANDIDATES;
  for (const candidate of candidates) {
    const tryOpts = { ...opts, ...candidate };
    const feeds = generateInputs(model, tryOpts);
    try {
      await session.run(feeds);
      return { feeds, options: tryOpts };
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** One line for report.inputs.description. */
export function describeGeneratedInputs(feeds: Record<string, TRuntimeTensor>, opts: TGenerateInputsOptions = {}): string {
  const parts = Object.entries(feeds).map(([name, t]) => `${name}: ${t.type}[${t.dims.join(",")}]`);
  const inner =
    opts.innerDynamicDimSize !== undefined
      ? `, inner symbolic dims = ${opts.innerDynamicDimSize}${opts.innerDimScope === "widest-input" ? " (data input only)" : ""}`
      : "";
  return (
    `generated from the model signature (seed ${opts.seed ?? 0}, symbolic dims = ${opts.dynamicDimSize ?? 1}${inner}; ` +
    `floats ~ N(0,1), integers in [0, ${opts.intHigh ?? 8})): ${parts.join("; ")}`
  );
}
