/**
 * The only module that imports onnxruntime-node. Everything else talks to the runtime through these small,
 * typed helpers, so switching the runtime (or its build) is a one-file change.
 */
import { readdirSync, readFileSync } from "node:fs";
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
  /**
   * false: no CPU memory arena, so buffers go back to the system when a run ends instead of staying reserved by
   * the session (calibration sessions that fetch many activations once; default true, onnxruntime's default).
   */
  enableCpuMemArena?: boolean;
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
  const executionProvider = opts.executionProvider ?? defaultExecutionProvider;
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [executionProvider],
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: opts.graphOptimizationLevel ?? "all",
    // onnxruntime-node rejects an explicit undefined here.
    ...(opts.optimizedModelFilePath ? { optimizedModelFilePath: opts.optimizedModelFilePath } : {}),
    ...(opts.enableCpuMemArena === false ? { enableCpuMemArena: false } : {}),
    // Fatal only: run and load errors reach the caller as exceptions anyway, and ORT's own stderr lines would
    // interleave with the worker's JSON logs (input probing deliberately triggers some).
    logSeverityLevel: 4,
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
    executionProvider: opts.executionProvider ?? defaultExecutionProvider,
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

// ---- Issue 9: execution provider from config (WORKER_EXECUTION_PROVIDER) ----

/** Provider of sessions that do not name one; set once at worker start by configureExecutionProvider. */
let defaultExecutionProvider = "cpu";
/** Set when the configured provider could not be used; copied into every report's warnings. */
let executionProviderWarning: string | undefined;

export type TExecutionProviderChoice = {
  requested: "auto" | "cpu" | "cuda";
  /** The provider sessions use from now on. */
  executionProvider: string;
  /** Why the requested provider was not used (CUDA missing), for logs and reports. */
  warning?: string;
};

/**
 * Picks the default execution provider from config. "cuda" and "auto" open a one-node probe session on CUDA:
 * onnxruntime-node lists "cuda" even when its provider libraries or the driver are missing, and only creating a
 * session tells. Without CUDA both fall back to CPU and leave a warning that every report then carries, except
 * "auto" on a machine without an NVIDIA GPU (a plain CPU worker).
 */
export async function configureExecutionProvider(requested: "auto" | "cpu" | "cuda"): Promise<TExecutionProviderChoice> {
  executionProviderWarning = undefined;
  defaultExecutionProvider = "cpu";
  if (requested === "cpu") return { requested, executionProvider: "cpu" };
  // "auto" without a visible NVIDIA GPU: a CPU worker. Skipping the probe also keeps onnxruntime from printing
  // "failed to load libonnxruntime_providers_shared.so" on every CPU worker's start.
  if (requested === "auto" && listNvidiaGpus().length === 0) return { requested, executionProvider: "cpu" };
  const cudaError = await probeExecutionProvider("cuda");
  if (cudaError === undefined) {
    defaultExecutionProvider = "cuda";
    return { requested, executionProvider: "cuda" };
  }
  const reason = cudaError.split("\n")[0]!.slice(0, 300);
  // "auto" on a machine without an NVIDIA GPU is the normal CPU worker, not a fallback worth a warning in every report;
  // a GPU that is present but unusable (driver/library mismatch) is.
  const gpus = listNvidiaGpus();
  const warning =
    requested === "cuda" || gpus.length > 0
      ? `CUDA ${requested === "cuda" ? "was requested but " : ""}is not available on this worker${gpus.length ? ` (GPU: ${gpus.join(", ")})` : ""}: ${reason}; measured on CPU instead`
      : undefined;
  executionProviderWarning = warning;
  return { requested, executionProvider: "cpu", warning: warning ?? `CUDA not available, using CPU (${reason})` };
}

/** The provider sessions use when none is named. */
export function getDefaultExecutionProvider(): string {
  return defaultExecutionProvider;
}

/** Returns undefined when a session on `provider` opens, else onnxruntime's error message. */
export async function probeExecutionProvider(provider: string): Promise<string | undefined> {
  try {
    const session = await ort.InferenceSession.create(buildProbeModel(), { executionProviders: [provider], logSeverityLevel: 4 });
    await session.release();
    return undefined;
  } catch (err) {
    return (err as Error).message || String(err);
  }
}

export type TRuntimeProvenanceExtras = {
  /** Operator sets the original model imports. */
  opsets?: { domain: string; version: number }[];
  arch: string;
  platform: string;
  totalMemoryBytes: number;
  /** GPU model names the NVIDIA driver reports (empty without one). */
  gpus: string[];
  /** What WORKER_EXECUTION_PROVIDER resolved to; "cpu" when the worker was never configured (CLI runs). */
  defaultExecutionProvider: string;
};

/**
 * Adds what getRuntimeInfo leaves out (opsets, architecture, memory, GPUs) to a report's provenance and the
 * execution-provider fallback warning to its warnings. Mutates and returns the report.
 */
export function annotateReportRuntime<R extends { provenance?: object; warnings: string[]; original?: { analysis?: { opsets?: unknown } } }>(report: R): R {
  const opsets = report.original?.analysis?.opsets as TRuntimeProvenanceExtras["opsets"];
  const extras: TRuntimeProvenanceExtras = {
    ...(opsets ? { opsets } : {}),
    arch: process.arch,
    platform: process.platform,
    totalMemoryBytes: os.totalmem(),
    gpus: listNvidiaGpus(),
    defaultExecutionProvider,
  };
  report.provenance = { ...getRuntimeInfo(), ...report.provenance, ...extras };
  if (executionProviderWarning && !report.warnings.includes(executionProviderWarning)) report.warnings.push(executionProviderWarning);
  return report;
}

/** GPU names from the NVIDIA driver's procfs (no nvidia-smi process, nothing when there is no driver). */
function listNvidiaGpus(): string[] {
  const root = "/proc/driver/nvidia/gpus";
  try {
    return readdirSync(root).map((dir) => {
      const info = readFileSync(`${root}/${dir}/information`, "utf8");
      return /^Model:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? dir;
    });
  } catch {
    return [];
  }
}

/** A one-node ONNX model (Identity on float[1], opset 13), hand-encoded so this module needs no codec. */
function buildProbeModel(): Uint8Array {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  const field = (no: number, bytes: number[]): number[] => [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
  const str = (no: number, s: string): number[] => field(no, [...new TextEncoder().encode(s)]);
  const int = (no: number, n: number): number[] => [...varint(no << 3), ...varint(n)];
  const valueInfo = (name: string): number[] => [...str(1, name), ...field(2, field(1, [...int(1, 1), ...field(2, field(1, int(1, 1)))]))];
  const node = [...str(1, "x"), ...str(2, "y"), ...str(3, "probe"), ...str(4, "Identity")];
  const graph = [...field(1, node), ...str(2, "probe"), ...field(11, valueInfo("x")), ...field(12, valueInfo("y"))];
  return new Uint8Array([...int(1, 8), ...field(7, graph), ...field(8, [...str(1, ""), ...int(2, 13)])]);
}
