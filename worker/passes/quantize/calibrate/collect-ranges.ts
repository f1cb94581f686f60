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
  const fetched = wanted.filter((n) => !graphInputs.has(n));
  const chunk = Math.max(1, opts.maxTensorsPerRun ?? (fetched.length || 1));
  const session = await createInferenceSession(encodeModel(createCalibrationModel(model, fetched)), { intraOpThreads: opts.intraOpThreads });
  let batches = 0;
  const sampleFeeds: Record<string, TRuntimeTensor>[] = [];
  try {
    for await (const feeds of iterateCalibrationFeeds(data, { maxBatches: opts.maxBatches, signal: opts.signal })) {
      if (sampleFeeds.length < 2) sampleFeeds.push(feeds);
      for (const name of fromFeeds) {
        const t = feeds[name];
        if (t?.type === "float32") calibrator.update(name, t.data as Float32Array);
      }
      for (let i = 0; i < fetched.length; i += chunk) {
        const names = fetched.slice(i, i + chunk);
        const out = await session.run(feeds, names);
        for (const name of names) {
          const t = out[name];
          if (t?.type === "float32") calibrator.update(name, t.data as Float32Array);
        }
      }
      batches++;
    }
  } finally {
    await session.release();
  }
  if (batches === 0) throw new Error("calibration data has no batches");
  return { ranges: calibrator.computeRanges(), batches, sampleFeeds };
}
