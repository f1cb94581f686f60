/**
 * Histogram collection for static quantization: adds the wanted activations as graph outputs of a calibration
 * copy of the model, runs it batch by batch in onnxruntime and streams each batch's values into a calibrator.
 * Only the calibrator's running min/max and fixed-size histograms stay in memory between batches.
 */
import type { TDataSource } from "../../../data/data-source";
import type { THostFeeds } from "../../../data/host-tensor";
import { encodeModel } from "../../../onnx/model-io";
import type { TModelProto } from "../../../onnx/onnx-proto";
import { createInferenceSession, type TRuntimeTensor } from "../../../runtime/ort";
import { exposeSubgraphValues } from "./expose-subgraph-values";
import { createCalibrator, type TCalibrationMethod, type TCalibratorOptions, type TTensorRange } from "./calibrator";

/** Calibration data: runtime feeds batch by batch, or a dataset from `worker/data`. */
export type TCalibrationData = AsyncIterable<Record<string, TRuntimeTensor>> | TDataSource;

export type TCollectOptions = {
  method: TCalibrationMethod;
  calibrator?: Partial<TCalibratorOptions>;
  /** Stop after this many batches. */
  maxBatches?: number;
  /**
   * Activations fetched per inference run. Fetching fewer at a time bounds the memory of one run's outputs at the
   * cost of re-running the batch; the default fetches all at once.
   */
  maxTensorsPerRun?: number;
  intraOpThreads?: number;
  signal?: AbortSignal;
};

export type TCollectResult = {
  ranges: Map<string, TTensorRange>;
  batches: number;
  /** The first batches' feeds (up to 2), kept for quick fidelity checks without re-reading the data. */
  sampleFeeds: Record<string, TRuntimeTensor>[];
};

/**
 * Calibration sessions run without onnxruntime's CPU arena: the arena keeps the high-water mark of a run's
 * activations reserved for the session's life (and grows in doubling steps), while calibration fetches many
 * activations per run and needs none of it once the run's values are in the histograms.
 */
export const CALIBRATION_SESSION_OPTIONS = { enableCpuMemArena: false } as const;

/** Calibration inputs kept in memory between chunks (beyond this the data is read again per chunk). */
const MAX_CACHED_FEED_BYTES = 256 * 1024 * 1024;

function isDataSource(d: TCalibrationData): d is TDataSource {
  return typeof (d as TDataSource).batches === "function";
}

function toRuntimeFeeds(feeds: THostFeeds): Record<string, TRuntimeTensor> {
  const out: Record<string, TRuntimeTensor> = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = { type: t.dtype, dims: t.dims, data: t.data };
  return out;
}

/** Iterates the calibration data as runtime feeds. */
export async function* iterateCalibrationFeeds(data: TCalibrationData, opts: { maxBatches?: number; signal?: AbortSignal } = {}): AsyncIterable<Record<string, TRuntimeTensor>> {
  if (isDataSource(data)) {
    for await (const b of data.batches({ maxBatches: opts.maxBatches, signal: opts.signal })) yield toRuntimeFeeds(b.feeds);
    return;
  }
  let n = 0;
  for await (const feeds of data) {
    if (opts.maxBatches !== undefined && n >= opts.maxBatches) return;
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
    yield feeds;
    n++;
  }
}

/**
 * A copy of `model` whose graph also outputs `tensorNames` (graph inputs among them are read from the feeds).
 * Only the top-level graph object is copied; nodes and weights are shared.
 */
export function createCalibrationModel(model: TModelProto, tensorNames: readonly string[]): TModelProto {
  const g = model.graph!;
  const existing = new Set(g.output.map((o) => o.name));
  const inputs = new Set(g.input.map((i) => i.name));
  const typeOf = new Map(g.valueInfo.map((v) => [v.name, v.type]));
  const extra = tensorNames
    .filter((n) => !existing.has(n) && !inputs.has(n))
    // Untyped outputs are fine for onnxruntime: it takes the type its own inference found.
    .map((name) => ({ name, type: typeOf.get(name), metadataProps: [] }));
  return { ...model, graph: { ...g, output: [...g.output, ...extra] } };
}

/**
 * Runs the calibration data through the model and returns a range per float tensor in `tensorNames`
 * (tensors that turn out not to be float32 are absent from the result).
 */
export async function collectActivationRanges(
  model: TModelProto,
  tensorNames: readonly string[],
  data: TCalibrationData,
  opts: TCollectOptions,
): Promise<TCollectResult> {
  const calibrator = createCalibrator(opts.method, opts.calibrator);
  const graphInputs = new Set(model.graph!.input.map((i) => i.name));
  const wanted = [...new Set(tensorNames)];
  const fromFeeds = wanted.filter((n) => graphInputs.has(n));
  // Values inside If/Loop/Scan bodies come out through extra outputs (carrier name → tensor name).
  const exposed = exposeSubgraphValues(model, wanted.filter((n) => !graphInputs.has(n)));
  const carried = new Set(exposed.outputToTensor.values());
  const unreachable = new Set(exposed.unreachable);
  const fetched = [
    ...wanted.filter((n) => !graphInputs.has(n) && !carried.has(n) && !unreachable.has(n)),
    ...exposed.outputToTensor.keys(),
  ];
  const tensorOf = (output: string) => exposed.outputToTensor.get(output) ?? output;
  const chunk = Math.max(1, opts.maxTensorsPerRun ?? (fetched.length || 1));
  const chunks: string[][] = [];
  for (let i = 0; i < fetched.length; i += chunk) chunks.push(fetched.slice(i, i + chunk));
  if (chunks.length === 0) chunks.push([]);
  let batches = 0;
  const sampleFeeds: Record<string, TRuntimeTensor>[] = [];
  const consume = (names: readonly string[], out: Record<string, TRuntimeTensor>) => {
    for (const name of names) {
      const t = out[name];
      // An If branch not taken this batch hands out an empty tensor: nothing to learn from it.
      if (t?.type === "float32" && t.data.length > 0) calibrator.update(tensorOf(name), t.data as Float32Array);
    }
  };
  const readFeedInputs = (feeds: Record<string, TRuntimeTensor>) => {
    if (sampleFeeds.length < 2) sampleFeeds.push(feeds);
    for (const name of fromFeeds) {
      const t = feeds[name];
      if (t?.type === "float32") calibrator.update(name, t.data as Float32Array);
    }
    batches++;
  };
  if (chunks.length > 1 && isDataSource(data)) {
    // A re-readable dataset: one session per chunk whose graph outputs only that chunk. A tensor that is a graph
    // output keeps its own buffer for the whole run (the memory planner cannot reuse it), so exposing every
    // activation in one session holds all of them at once even when only a few are fetched.
    // Inputs are small next to the activations: keep them (up to a budget) rather than regenerate or re-read
    // every batch once per chunk.
    const cached: Record<string, TRuntimeTensor>[] = [];
    let cachedBytes = 0;
    let cacheable = true;
    const batchesFor = async function* (c: number): AsyncIterable<Record<string, TRuntimeTensor>> {
      if (c > 0 && cacheable) {
        yield* cached;
        return;
      }
      for await (const feeds of iterateCalibrationFeeds(data, { maxBatches: opts.maxBatches, signal: opts.signal })) {
        if (c === 0 && cacheable) {
          cachedBytes += Object.values(feeds).reduce((a, t) => a + (t.data as { byteLength?: number }).byteLength!, 0);
          if (cachedBytes > MAX_CACHED_FEED_BYTES) {
            cacheable = false;
            cached.length = 0;
          } else cached.push(feeds);
        }
        yield feeds;
      }
    };
    for (let c = 0; c < chunks.length; c++) {
      // Encoded per chunk and dropped once the session holds its copy (one buffer kept for every chunk measured
      // a higher peak on a 340 MB model: it stays alive while the chunk's activations are computed).
      const session = await createInferenceSession(encodeModel(createCalibrationModel(exposed.model, chunks[c])), { intraOpThreads: opts.intraOpThreads, ...CALIBRATION_SESSION_OPTIONS });
      try {
        for await (const feeds of batchesFor(c)) {
          if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
          if (c === 0) readFeedInputs(feeds);
          consume(chunks[c], await session.run(feeds, chunks[c]));
        }
      } finally {
        await session.release();
      }
    }
  } else {
    // A one-shot stream: one session, each batch re-run per chunk.
    const session = await createInferenceSession(encodeModel(createCalibrationModel(exposed.model, fetched)), { intraOpThreads: opts.intraOpThreads, ...CALIBRATION_SESSION_OPTIONS });
    try {
      for await (const feeds of iterateCalibrationFeeds(data, { maxBatches: opts.maxBatches, signal: opts.signal })) {
        readFeedInputs(feeds);
        for (const names of chunks) if (names.length) consume(names, await session.run(feeds, names));
      }
    } finally {
      await session.release();
    }
  }
  if (batches === 0) throw new Error("calibration data has no batches");
  return { ranges: calibrator.computeRanges(), batches, sampleFeeds };
}
