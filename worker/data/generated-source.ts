import type { TModelProto } from "../onnx/onnx-proto";
import { listFeedInputs } from "../onnx/tensor-info";
import { describeGeneratedInputs, generateInputs, type TGenerateInputsOptions } from "./generate-inputs";
import { HOST_DTYPES, type THostDtype, type THostFeeds } from "./host-tensor";
import type { TDataSource } from "./data-source";
import { throwIfAborted } from "../pipeline/abort";
import { AppError } from "../../contracts/app-error";

/**
 * A data source of inputs generated from the model's signature (worker/data/generate-inputs.ts), for runs without
 * user data. Each batch uses a different seed so calibration and evaluation do not see one single sample.
 * The report says so (`inputs.source = "generated"`).
 */

export type TGeneratedSourceOptions = TGenerateInputsOptions & {
  /** Batches per iteration (default 4). */
  batchCount?: number;
  /** Added to the per-batch seed, so calibration (e.g. 0) and evaluation (e.g. 1000) get different inputs. */
  seedOffset?: number;
};

const HOST_DTYPE_SET: ReadonlySet<string> = new Set(HOST_DTYPES);

/** Symbolic spatial dims of image-like inputs ([N, 1|3|4, H, W]) get this size unless told otherwise. */
export const DEFAULT_IMAGE_DIM_SIZE = 64;

/**
 * Sizes for named symbolic dims: axis 0 is the batch (1); the H and W axes of image-like inputs get
 * DEFAULT_IMAGE_DIM_SIZE, so generated images are not 1×1 pixels. Explicit `dimSizes` win.
 */
export function inferGeneratedDimSizes(model: TModelProto, explicit: Record<string, number> = {}): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const v of model.graph ? listFeedInputs(model.graph) : []) {
    const dims = v.type?.tensorType?.shape?.dim ?? [];
    const channels = dims[1]?.dimValue;
    const imageLike = dims.length === 4 && channels !== undefined && [1, 3, 4].includes(channels);
    dims.forEach((d, axis) => {
      if (!d.dimParam || d.dimParam in sizes) return;
      if (axis === 0) sizes[d.dimParam] = 1;
      else if (imageLike && axis >= 2) sizes[d.dimParam] = DEFAULT_IMAGE_DIM_SIZE;
    });
  }
  return { ...sizes, ...explicit };
}

/** Creates a lazy source of generated inputs for `model`. Throws AppError when an input cannot be generated. */
export function createGeneratedDataSource(model: TModelProto, inputOpts: TGeneratedSourceOptions = {}): TDataSource {
  const opts = { ...inputOpts, dimSizes: inferGeneratedDimSizes(model, inputOpts.dimSizes) };
  const batchCount = opts.batchCount ?? 4;
  const seedOffset = opts.seedOffset ?? 0;
  const makeFeeds = (i: number): THostFeeds => {
    const feeds: THostFeeds = {};
    for (const [name, t] of Object.entries(generateInputs(model, { ...opts, seed: seedOffset + i }))) {
      if (!HOST_DTYPE_SET.has(t.type) || Array.isArray(t.data)) {
        throw new AppError("BAD_INPUT", {
          userMessage: `input '${name}' has type ${t.type}, which cannot be generated for evaluation: supply data for it`,
        });
      }
      feeds[name] = { dtype: t.type as THostDtype, dims: [...t.dims], data: t.data as THostFeeds[string]["data"] };
    }
    return feeds;
  };
  const first = generateInputs(model, { ...opts, seed: seedOffset });
  const samplesPerBatch = Object.values(first)[0]?.dims[0] ?? 1;
  return {
    source: "generated",
    description: `${batchCount} batch${batchCount === 1 ? "" : "es"} ${describeGeneratedInputs(first, { ...opts, seed: seedOffset })}`,
    sampleCount: batchCount * samplesPerBatch,
    hasLabels: false,
    batches: (iterOpts = {}) => ({
      async *[Symbol.asyncIterator]() {
        const n = Math.min(batchCount, iterOpts.maxBatches ?? Infinity);
        for (let i = 0; i < n; i++) {
          throwIfAborted(iterOpts.signal);
          yield { feeds: makeFeeds(i), sampleCount: samplesPerBatch };
        }
      },
    }),
  };
}
