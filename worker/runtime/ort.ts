/**
 * The only module that imports onnxruntime-node. Everything else talks to the runtime through these small,
 * typed helpers, so switching the runtime (or its build) is a one-file change.
 */
import os from "node:os";
import * as ort from "onnxruntime-node";

/** Tensor element types the runtime accepts as inputs/outputs (onnxruntime-node names). */
export type TRuntimeTensorType =
  | "float32"
  | "float64"
  | "float16"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "bool"
  | "string"
  | "int4"
  | "uint4";

export type TRuntimeTensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

/** A tensor passed to or returned from a session, free of runtime classes. */
export type TRuntimeTensor = { type: TRuntimeTensorType; dims: readonly number[]; data: TRuntimeTensorData };

export type TSessionOptions = {
  /** Threads inside one op; default min(4, CPU count). Fixed so that latency numbers are comparable. */
  intraOpThreads?: number;
  /** "cpu" (default) or another provider compiled into this onnxruntime build (e.g. "cuda"). */
  executionProvider?: string;
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
  /** Writes the optimized graph here (used to check which ops the runtime fused). */
  optimizedModelFilePath?: string;
};

export type TInferenceSession = {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly intraOpThreads: number;
  readonly executionProvider: string;
  /** Runs the model; returns every output (or only `fetch` ones) as plain tensors. */
  run: (feeds: Record<string, TRuntimeTensor>, fetch?: readonly string[]) => Promise<Record<string, TRuntimeTensor>>;
  release: () => Promise<void>;
};

/** Default intra-op thread count for this machine. */
export function getDefaultIntraOpThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/**
 * Creates a session from model bytes. Spinning threads are disabled: on small machines (and when two sessions are
 * measured interleaved) spinning makes runs 2–3× slower (RECIPE.md).
 * A model the runtime rejects gives AppError-free Error with onnxruntime's message; callers map it.
 */
export async function createInferenceSession(bytes: Uint8Array, opts: TSessionOptions = {}): Promise<TInferenceSession> {
  const intraOpThreads = opts.intraOpThreads ?? getDefaultIntraOpThreads();
  const executionProvider = opts.executionProvider ?? "cpu";
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [executionProvider],
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: opts.graphOptimizationLevel ?? "all",
    // onnxruntime-node rejects an explicit undefined here.
    ...(opts.optimizedModelFilePath ? { optimizedModelFilePath: opts.optimizedModelFilePath } : {}),
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  });
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    intraOpThreads,
    executionProvider,
    run: async (feeds, fetch) => {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(t);
      const out = fetch ? await session.run(ortFeeds, fetch as string[]) : await session.run(ortFeeds);
      const result: Record<string, TRuntimeTensor> = {};
      for (const [name, v] of Object.entries(out)) {
        const t = v as ort.Tensor;
        result[name] = { type: t.type as TRuntimeTensorType, dims: [...t.dims], data: t.data as TRuntimeTensorData };
      }
      return result;
    },
    release: () => session.release(),
  };
}

function toOrtTensor(t: TRuntimeTensor): ort.Tensor {
  return new ort.Tensor(t.type as "float32", t.data as Float32Array, t.dims as number[]);
}

/** Builds a runtime tensor, checking the element count against the dims. */
export function createRuntimeTensor(type: TRuntimeTensorType, data: TRuntimeTensorData, dims: readonly number[]): TRuntimeTensor {
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = type === "int4" || type === "uint4" ? Math.ceil(count / 2) : count;
  if (data.length !== expected) throw new Error(`tensor of shape [${dims.join(", ")}] needs ${expected} values, got ${data.length}`);
  return { type, dims: [...dims], data };
}

export type TRuntimeInfo = {
  onnxruntimeVersion: string;
  executionProvider: string;
  cpu: string;
  cpuCount: number;
  nodeVersion: string;
  intraOpThreads: number;
};

/** Where numbers are measured, for report provenance (matches ZProvenance). */
export function getRuntimeInfo(opts: { executionProvider?: string; intraOpThreads?: number } = {}): TRuntimeInfo {
  const cpus = os.cpus();
  return {
    onnxruntimeVersion: ort.env.versions.node ?? ort.env.versions.common ?? "unknown",
    executionProvider: opts.executionProvider ?? "cpu",
    cpu: cpus[0]?.model?.trim() || "unknown",
    cpuCount: os.availableParallelism(),
    nodeVersion: process.version,
    intraOpThreads: opts.intraOpThreads ?? getDefaultIntraOpThreads(),
  };
}

/** Execution providers this onnxruntime build offers. */
export function listExecutionProviders(): string[] {
  return ort.listSupportedBackends().map((b) => b.name);
}
