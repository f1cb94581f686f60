import type { TModelProto } from "../onnx/onnx-proto";
import { listFeedInputs } from "../onnx/tensor-info";
import { createRandom, describeGeneratedInputs, generateInputs, type TGenerateInputsOptions } from "./generate-inputs";
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
  /**
   * What 3-channel float32 image inputs ([N, 3, H, W]) get: "document" synthetic pages (default) or N(0,1) "noise".
   * Noise is a poor stand-in for images: a detector answers ~0 everywhere, so calibration ranges and fidelity
   * numbers measured on it say little about real use.
   */
  imageInputs?: "document" | "noise";
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

/** ImageNet normalization (what most vision exports, PP-OCR included, expect after /255). */
const IMAGE_MEAN = [0.485, 0.456, 0.406];
const IMAGE_STD = [0.229, 0.224, 0.225];

/**
 * Fills `out` (3 × height × width, channel-major) with one synthetic document page: light paper with rows of dark
 * glyph-like strokes and a little sensor noise, ImageNet-normalized. Deterministic for a seed.
 */
export function fillDocumentImage(out: Float32Array, seed: number, height: number, width: number): void {
  const rand = createRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const gray = new Float32Array(height * width).fill(0.85 + 0.1 * rand());
  let y = 2 + Math.floor(rand() * 10);
  // Line heights scale with the image so small crops (a 48-pixel text line) still hold a line of text.
  const maxLine = Math.max(6, Math.min(22, Math.floor(height * 0.6)));
  while (y < height - 4) {
    const lineH = Math.max(4, Math.floor(maxLine * (0.4 + 0.6 * rand())));
    let x = 2 + Math.floor(rand() * 20);
    const lineEnd = width - 2 - Math.floor(rand() * width * 0.4);
    const ink = 0.05 + 0.25 * rand();
    while (x < lineEnd) {
      const glyphW = Math.max(3, Math.floor(lineH * (0.5 + 0.5 * rand())));
      const strokes = 2 + Math.floor(rand() * 3);
      for (let s = 0; s < strokes; s++) {
        const vertical = rand() < 0.5;
        const pos = Math.floor(rand() * (vertical ? glyphW : lineH));
        const thick = 1 + Math.floor(rand() * 2);
        for (let dy = 0; dy < lineH && y + dy < height; dy++) {
          for (let dx = 0; dx < glyphW && x + dx < width; dx++) {
            const on = vertical ? dx >= pos && dx < pos + thick : dy >= pos && dy < pos + thick;
            if (on) gray[(y + dy) * width + x + dx] = ink;
          }
        }
      }
      x += glyphW + 1 + Math.floor(rand() * 3);
      if (rand() < 0.12) x += lineH; // word gap
    }
    y += lineH + 4 + Math.floor(rand() * 14);
  }
  const plane = height * width;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) out[c * plane + i] = (gray[i] + 0.02 * normal() - IMAGE_MEAN[c]) / IMAGE_STD[c];
  }
}

/** 3-channel float32 [N, 3, H, W] inputs with H, W ≥ 8: the ones that get document images. */
function isColorImage(t: { type: string; dims: readonly number[] }): boolean {
  return t.type === "float32" && t.dims.length === 4 && t.dims[1] === 3 && t.dims[2] >= 8 && t.dims[3] >= 8;
}

/** Creates a lazy source of generated inputs for `model`. Throws AppError when an input cannot be generated. */
export function createGeneratedDataSource(model: TModelProto, inputOpts: TGeneratedSourceOptions = {}): TDataSource {
  const opts = { ...inputOpts, dimSizes: inferGeneratedDimSizes(model, inputOpts.dimSizes) };
  const batchCount = opts.batchCount ?? 4;
  const seedOffset = opts.seedOffset ?? 0;
  const documents = (opts.imageInputs ?? "document") === "document";
  const makeFeeds = (i: number): THostFeeds => {
    const feeds: THostFeeds = {};
    for (const [name, t] of Object.entries(generateInputs(model, { ...opts, seed: seedOffset + i }))) {
      if (documents && isColorImage(t)) {
        const [n, , h, w] = t.dims;
        const data = t.data as Float32Array;
        for (let b = 0; b < n; b++) fillDocumentImage(data.subarray(b * 3 * h * w, (b + 1) * 3 * h * w), (seedOffset + i) * 7919 + b + 1, h, w);
      }
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
  const imageNames = documents ? Object.entries(first).filter(([, t]) => isColorImage(t)).map(([name]) => name) : [];
  const imageNote = imageNames.length
    ? `; image inputs ${imageNames.join(", ")} are synthetic document pages (dark text strokes on light paper, ImageNet-normalized), not noise`
    : "";
  return {
    source: "generated",
    description: `${batchCount} batch${batchCount === 1 ? "" : "es"} ${describeGeneratedInputs(first, { ...opts, seed: seedOffset })}${imageNote}`,
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
