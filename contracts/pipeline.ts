import { z } from "zod";

/**
 * The pipeline language shared by API, worker, CLI and portal: an ordered list of passes with typed options.
 * Each pass has its own options schema; engine issues add passes to `ZPipelineStep` and presets to `PRESETS`.
 */

/** Parse the model and measure it: IR/opset, IO, op histogram, parameters by dtype, latency on generated inputs. */
export const ZAnalyzeStep = z.object({
  pass: z.literal("analyze"),
  options: z
    .object({
      /** Timed runs after warm-up for the latency percentiles. */
      latencyRuns: z.number().int().min(1).max(1000).default(20),
      /** Untimed runs first, so lazy allocations do not count. */
      warmupRuns: z.number().int().min(0).max(100).default(3),
      /** Value used for symbolic dimensions (batch, sequence) when generating inputs. */
      dynamicDimSize: z.number().int().min(1).max(4096).default(1),
    })
    .strict()
    .default({ latencyRuns: 20, warmupRuns: 3, dynamicDimSize: 1 }),
});

/** Node/op selection shared by the quantization passes: what stays in float. */
const ZNodeSelection = {
  /** Node names kept in float (e.g. the most sensitive layers from the report's sensitivity table). */
  nodesToExclude: z.array(z.string()).max(10000).default([]),
  /** Op types kept in float. */
  opTypesToExclude: z.array(z.string()).max(200).default([]),
  /** When set, only these nodes are quantized (per-layer sensitivity analysis quantizes one at a time). */
  nodesToInclude: z.array(z.string()).max(10000).optional(),
};

/** Weights int8 per channel, activations quantized at run time: for MatMul/Gemm-heavy models (transformers, RNN heads). */
export const ZInt8DynamicOptions = z
  .object({
    ...ZNodeSelection,
    /** One scale per output column instead of one per tensor. */
    perChannel: z.boolean().default(true),
    /**
     * "DynamicQuantizeMatMul": one com.microsoft op per MatMul (measured faster); "MatMulInteger": standard ONNX ops
     * DynamicQuantizeLinear + MatMulInteger + Cast + Mul, for runtimes without Microsoft contrib ops.
     */
    kernel: z.enum(["DynamicQuantizeMatMul", "MatMulInteger"]).default("DynamicQuantizeMatMul"),
    /** Smallest weight (elements) worth quantizing; tiny MatMuls only pay the quantization overhead. */
    minWeightElements: z.number().int().min(0).default(256),
  })
  .strict();
export type TInt8DynamicOptions = z.infer<typeof ZInt8DynamicOptions>;

/** Static int8 in QDQ format with calibration (the fast path for CNNs on CPU). */
export const ZInt8StaticOptions = z
  .object({
    ...ZNodeSelection,
    /** How activation ranges are chosen from calibration data. min-max is hurt by outliers; percentile/entropy clip them. */
    calibrationMethod: z.enum(["minmax", "percentile", "entropy"]).default("percentile"),
    /**
     * Kept fraction for the percentile method (per tail: 100 - percentile). 99.99 measured better than 99.999 on
     * PP-OCRv4 det (output cosine 0.9944 vs 0.9878 with the same fidelity target).
     */
    percentile: z.number().min(90).max(100).default(99.99),
    /** Calibration batches read at most. */
    calibrationBatches: z.number().int().min(1).max(10000).default(16),
    /** int8 weights with one scale per output channel (needs opset 13; older models are upgraded). */
    perChannel: z.boolean().default(true),
    /** uint8 activations (U8S8, the combination onnxruntime fuses best) or int8. */
    activationType: z.enum(["uint8", "int8"]).default("uint8"),
    /** Symmetric activation ranges (zero point 128 / 0) instead of asymmetric. */
    activationSymmetric: z.boolean().default(false),
    /**
     * Op types that get Q/DQ; others stay float. Adding "HardSwish" rewrites it as x·relu6(x+3)/6 in QDQ form
     * (QLinearAdd + QLinearMul, a following scalar Mul absorbed): onnxruntime has no integer HardSwish, so by default
     * it runs in float between DQ and Q. Faster (PP-OCRv4 det: 0.66 vs 0.71 of fp32, bench) but it quantizes more
     * tensors, and on some data the fidelity target then keeps more layers in float (PP-OCR cls: 18 vs 0), so it is
     * not in the default list.
     */
    opTypesToQuantize: z
      .array(z.string())
      .max(200)
      .default(["Conv", "MatMul", "Gemm", "Add", "Mul", "MaxPool", "GlobalAveragePool", "Concat", "Resize"]),
    /** Fold BatchNormalization into Conv before quantizing. */
    foldBatchNorm: z.boolean().default(true),
    /**
     * Measure each layer's sensitivity (quantized alone, output cosine on a calibration batch) and keep this many
     * of the most sensitive layers in float. 0 skips the measurement.
     */
    sensitiveNodesToKeepFloat: z.number().int().min(0).max(64).default(0),
    /**
     * Output cosine (vs float, on the first calibration batches) the quantized model must reach: when it falls
     * short, the fewest layers chosen by `fidelityFallback` are kept in float until it does, found by bisection.
     * 0 disables the check. 0.995 because held-out inputs score lower than the calibration batches
     * (PP-OCRv4 det on held-out inputs: target 0.995 → 0.9944, target 0.99 → 0.9815).
     */
    fidelityTarget: z.number().min(0).max(1).default(0.995),
    /**
     * Which layers the fidelity target keeps in float: "sensitivity" ranks every layer by how much quantizing it
     * alone moves the output and keeps the fewest most-damaging ones (mixed precision); "leading" keeps a prefix
     * of the network (the stem).
     */
    fidelityFallback: z.enum(["sensitivity", "leading"]).default("sensitivity"),
  })
  .strict();
export type TInt8StaticOptions = z.infer<typeof ZInt8StaticOptions>;

/** float16 weights and compute; numerically sensitive ops stay float32. */
export const ZFp16Options = z
  .object({
    /** Keep float32 graph inputs/outputs (Casts at the edges) so callers need no change. */
    keepIoTypes: z.boolean().default(true),
    /** Op types computed in float32 (Casts around them). */
    opTypesToKeepFloat32: z
      .array(z.string())
      .max(200)
      .default(["Resize", "Range", "Softmax", "LogSoftmax", "ReduceMean", "ReduceSum", "ReduceL2", "LayerNormalization", "Pow", "Sqrt", "Exp", "Log", "CumSum", "NonMaxSuppression", "TopK", "RandomNormalLike", "RandomUniformLike", "Einsum"]),
    /** Node names computed in float32. */
    nodesToExclude: z.array(z.string()).max(10000).default([]),
  })
  .strict();
export type TFp16Options = z.infer<typeof ZFp16Options>;

/** 4-bit weight-only quantization of MatMul weights (com.microsoft MatMulNBits). */
export const ZInt4WeightOptions = z
  .object({
    ...ZNodeSelection,
    blockSize: z.union([z.literal(32), z.literal(64), z.literal(128)]).default(32),
    /** Symmetric blocks store no zero points (smaller); asymmetric fit skewed blocks better. */
    symmetric: z.boolean().default(true),
    /** "auto": GPTQ when calibration data is given, otherwise round-to-nearest. */
    method: z.enum(["auto", "rtn", "gptq"]).default("auto"),
    /** Calibration batches read at most (GPTQ). */
    calibrationBatches: z.number().int().min(1).max(10000).default(16),
    /** MatMulNBits accuracy_level: 0 = kernel default, 4 = int8 compute (faster on CPUs with VNNI). */
    accuracyLevel: z.number().int().min(0).max(4).default(0),
    /** Smallest weight (elements) worth quantizing. */
    minWeightElements: z.number().int().min(0).default(256),
  })
  .strict();
export type TInt4WeightOptions = z.infer<typeof ZInt4WeightOptions>;

export const ZInt8DynamicStep = z.object({ pass: z.literal("int8-dynamic"), options: ZInt8DynamicOptions.default(ZInt8DynamicOptions.parse({})) });
export const ZInt8StaticStep = z.object({ pass: z.literal("int8-static"), options: ZInt8StaticOptions.default(ZInt8StaticOptions.parse({})) });
export const ZFp16Step = z.object({ pass: z.literal("fp16"), options: ZFp16Options.default(ZFp16Options.parse({})) });
export const ZInt4WeightStep = z.object({ pass: z.literal("int4-weight"), options: ZInt4WeightOptions.default(ZInt4WeightOptions.parse({})) });

/** Layer selection shared by the pruning passes. */
const ZPruneSelection = {
  /** Node names never pruned. */
  nodesToExclude: z.array(z.string()).max(10000).default([]),
};

/** Unstructured magnitude pruning: the smallest weights become zeros, stored so that the file shrinks. */
export const ZPruneMagnitudeOptions = z
  .object({
    ...ZPruneSelection,
    /** Fraction of each pruned weight (or of all of them, for the global scope) set to zero. */
    sparsity: z.number().min(0).max(0.99).default(0.5),
    /** "layer": the same sparsity in every layer; "global": one magnitude threshold across layers. */
    scope: z.enum(["layer", "global"]).default("layer"),
    /** Keep the first and last weight layers dense (they are the most sensitive). */
    protectFirstLast: z.boolean().default(true),
    /** Op types whose weights are pruned. */
    opTypes: z.array(z.enum(["Conv", "ConvTranspose", "MatMul", "Gemm"])).min(1).default(["Conv", "ConvTranspose", "MatMul", "Gemm"]),
    /** Smallest weight (elements) worth pruning. */
    minWeightElements: z.number().int().min(1).default(64),
    /**
     * How pruned weights are stored: "sparse-initializer" (ONNX COO, int16/int32 indices), "bitmask" (non-zeros plus a
     * 1-bit mask expanded in the graph), "dense", or "auto" (the smallest per weight).
     */
    storage: z.enum(["auto", "sparse-initializer", "bitmask", "dense"]).default("auto"),
  })
  .strict();
export type TPruneMagnitudeOptions = z.infer<typeof ZPruneMagnitudeOptions>;

/** N:M semi-structured sparsity along the input dimension (the pattern GPU sparse tensor cores accelerate). */
export const ZPruneNmOptions = z
  .object({
    ...ZPruneSelection,
    /** Non-zeros kept in every block of m consecutive input weights. */
    n: z.number().int().min(1).max(16).default(2),
    m: z.number().int().min(2).max(32).default(4),
    protectFirstLast: z.boolean().default(true),
    opTypes: z.array(z.enum(["Conv", "MatMul", "Gemm"])).min(1).default(["Conv", "MatMul", "Gemm"]),
    minWeightElements: z.number().int().min(1).default(64),
    storage: z.enum(["auto", "sparse-initializer", "bitmask", "dense"]).default("dense"),
  })
  .strict()
  .refine((o) => o.n < o.m, { message: "n must be smaller than m", path: ["n"] });
export type TPruneNmOptions = z.infer<typeof ZPruneNmOptions>;

/** Structured channel pruning on a dependency graph: a smaller dense model. */
export const ZPruneChannelsOptions = z
  .object({
    ...ZPruneSelection,
    /** Fraction of channels removed per group (layer scope) or overall (global scope without a target). */
    ratio: z.number().min(0).max(0.9).default(0.3),
    /**
     * How channels are ranked. "taylor": first-order loss change |Σ w·dL/dw| per channel on calibration data
     * (generated when none), with pseudo-label losses; falls back to L1 with a warning when the model cannot be
     * differentiated.
     */
    importance: z.enum(["l1", "l2", "bn-scale", "taylor"]).default("l1"),
    /** "layer": the ratio in every group; "global": one ranking across groups (with an optional MACs/params target). */
    scope: z.enum(["layer", "global"]).default("layer"),
    /** Global scope: prune until MACs are at most this fraction of the original. */
    targetMacsRatio: z.number().gt(0).max(1).optional(),
    /** Global scope: prune until parameters are at most this fraction of the original. */
    targetParamsRatio: z.number().gt(0).max(1).optional(),
    /** Global scope: the most any one group may lose. */
    maxGroupRatio: z.number().min(0).max(0.95).default(0.8),
    /** Kept channel counts are rounded to a multiple of this (never below it, nor above the original). */
    roundTo: z.number().int().min(1).max(256).default(8),
    /** Size of symbolic spatial/sequence dims when shapes are observed in onnxruntime. */
    shapeDimSize: z.number().int().min(1).max(4096).default(64),
    /**
     * Exact rewrites after pruning (BatchNorm folded into Conv, hard-swish patterns fused into HardSwish, opset raised
     * where allowed): small models are bound by per-node cost, which channel pruning alone does not reduce.
     */
    optimizeGraph: z.boolean().default(true),
  })
  .strict();
export type TPruneChannelsOptions = z.infer<typeof ZPruneChannelsOptions>;

export const ZPruneMagnitudeStep = z.object({ pass: z.literal("prune-magnitude"), options: ZPruneMagnitudeOptions.default(ZPruneMagnitudeOptions.parse({})) });
export const ZPruneNmStep = z.object({ pass: z.literal("prune-nm"), options: ZPruneNmOptions.default(ZPruneNmOptions.parse({})) });
export const ZPruneChannelsStep = z.object({ pass: z.literal("prune-channels"), options: ZPruneChannelsOptions.default(ZPruneChannelsOptions.parse({})) });

/** Low-rank factorization: truncated SVD of MatMul/Gemm weights (two thinner MatMuls), Tucker-2 for Conv (1×1 → k×k → 1×1). */
export const ZLowRankOptions = z
  .object({
    /** Node names never factorized. */
    nodesToExclude: z.array(z.string()).max(10000).default([]),
    /** Per layer: the smallest rank keeping this share of the weight's energy (sum of squared singular values). */
    energy: z.number().min(0.5).max(1).default(0.9),
    /** Global parameter budget: factorized layers together keep at most this fraction of their parameters (overrides `energy`). */
    targetParamsRatio: z.number().gt(0).max(1).optional(),
    /** A layer is factorized only when it saves at least this fraction of its parameters and MACs. */
    minSavings: z.number().min(0).max(0.95).default(0.2),
    opTypes: z.array(z.enum(["MatMul", "Gemm", "Conv"])).min(1).default(["MatMul", "Gemm", "Conv"]),
    /**
     * k×k Conv decomposition: "tucker2" = 1×1 (Ci→Ri) → k×k core (Ri→Ro) → 1×1 (Ro→Co), ranks per mode by kept energy,
     * shrinking both channel sides of the expensive k×k core; "spatial" = k×k with r filters → 1×1 (one SVD). 1×1 Convs
     * always use the plain SVD (a Tucker-2 of a 1×1 kernel is just a longer SVD).
     */
    conv: z.enum(["spatial", "tucker2"]).default("tucker2"),
    /** Smallest weight (elements) worth factorizing. */
    minWeightElements: z.number().int().min(1).default(4096),
    /** Randomized SVD power iterations (more = closer to the exact SVD for slowly decaying spectra). */
    powerIterations: z.number().int().min(0).max(8).default(2),
    seed: z.number().int().min(0).default(0),
  })
  .strict();
export type TLowRankOptions = z.infer<typeof ZLowRankOptions>;

/** Weight sharing by k-means: each weight becomes a small codebook plus uint8 indices, decoded in the graph. */
export const ZClusterOptions = z
  .object({
    /** Node names whose weights are kept. */
    nodesToExclude: z.array(z.string()).max(10000).default([]),
    /** Clusters (shared values) per tensor or per channel. */
    k: z.number().int().min(2).max(256).default(16),
    /**
     * "tensor": one codebook per weight; "channel": one per output channel (k floats per channel); "scaled": one
     * codebook per weight over values divided by their output channel's max |w|, decoded as codebook[i]·scale[c]
     * (one float per channel; keeps small depthwise and BN-folded channels accurate). Measured at k = 16: scaled
     * ppocr_cls 0.23 size / 0.98 cosine, ppocr_det 0.15 / 0.57; channel ppocr_cls 0.56 / 0.99, ppocr_det 0.25 / 0.97.
     */
    granularity: z.enum(["tensor", "channel", "scaled"]).default("scaled"),
    /** Codebook storage: float32, or int8 with one scale (composes with int8 deployments). */
    codebookType: z.enum(["float32", "int8"]).default("float32"),
    /**
     * Index storage: "auto" packs two 4-bit indices per byte when k ≤ 16 (decoded in the graph with Cast/Div/Floor/Sub,
     * ops every opset ≥ 7 has), else one byte per index; 8 forces one byte.
     */
    indexBits: z.union([z.literal("auto"), z.literal(8)]).default("auto"),
    /** Fold BatchNormalization into the preceding Conv first (its 4 per-channel vectors would stay float32). */
    foldBatchNorm: z.boolean().default(true),
    /** Lloyd iterations on the sample (10 left ppocr_cls's codebooks visibly unconverged). */
    iterations: z.number().int().min(1).max(100).default(30),
    /** Values sampled per codebook for k-means on big tensors; every weight is then assigned to its nearest centroid. */
    sampleSize: z.number().int().min(256).max(10_000_000).default(65536),
    opTypes: z.array(z.enum(["Conv", "ConvTranspose", "MatMul", "Gemm"])).min(1).default(["Conv", "ConvTranspose", "MatMul", "Gemm"]),
    /**
     * Smallest weight (elements) clustered. Tiny weights (SE blocks, heads) barely change the size but are the most
     * sensitive to 16 shared values: ppocr_cls went from cosine 0.93 (128) to 0.98 (256) at the same 0.23 size ratio.
     */
    minWeightElements: z.number().int().min(1).default(256),
    seed: z.number().int().min(0).default(0),
  })
  .strict();
export type TClusterOptions = z.infer<typeof ZClusterOptions>;

export const ZLowRankStep = z.object({ pass: z.literal("low-rank"), options: ZLowRankOptions.default(ZLowRankOptions.parse({})) });
export const ZClusterStep = z.object({ pass: z.literal("cluster"), options: ZClusterOptions.default(ZClusterOptions.parse({})) });

/**
 * Knowledge distillation: trains the model this step receives (the student, e.g. after prune-channels) to match the
 * uploaded model (the teacher) on the calibration inputs (generated when none are given; labels used when present).
 */
export const ZDistillOptions = z
  .object({
    /** Passes over the training samples (training stops early when held-out fidelity stops improving). */
    epochs: z.number().int().min(1).max(200).default(10),
    batchSize: z.number().int().min(1).max(1024).default(32),
    /** Peak AdamW learning rate (linear warm-up, then cosine decay). */
    lr: z.number().gt(0).max(1).default(0.002),
    /** Softening temperature of the KL term (scaled by T²). */
    temperature: z.number().min(1).max(20).default(4),
    /** Weight of the distillation term; 1 − alpha weights cross-entropy with labels when the data has labels. */
    alpha: z.number().min(0).max(1).default(0.7),
    /** Samples read from the data into memory (training revisits them every epoch). */
    maxSamples: z.number().int().min(8).max(100_000).default(2048),
    /** Share of samples held out to measure fidelity to the teacher and keep the best epoch. */
    holdoutFraction: z.number().min(0.05).max(0.5).default(0.15),
    /** Epochs without a better held-out score before stopping. */
    patience: z.number().int().min(1).max(50).default(4),
    seed: z.number().int().min(0).default(1),
    /**
     * Feature distillation: MSE between named intermediate tensors of the teacher and the student. A learned 1×1 Conv
     * (channel axis) or MatMul (last axis) adapter maps the student tensor when the widths differ; it is not exported.
     */
    features: z
      .array(z.object({ teacher: z.string().min(1), student: z.string().min(1), weight: z.number().min(0).max(100).default(1) }).strict())
      .max(32)
      .default([]),
    /** Attention distillation: weight of the MSE between matching inner Softmax outputs of teacher and student (0 = off). */
    attentionWeight: z.number().min(0).max(100).default(0),
    /**
     * Id of an uploaded model of the same workspace to train as the student instead of the output of the previous
     * steps (same input and output names as the teacher). `condense run` takes a file with --student instead.
     */
    studentModelId: z.string().min(1).max(64).optional(),
    /**
     * Depth-reduced student: share of every run of repeated, shape-preserving blocks (transformer layers, identical
     * residual blocks) removed from the student before training, evenly spread, keeping the first block of each run
     * and the weights of the kept ones (0.5 drops every other layer, as DistilBERT does). 0 keeps the depth.
     */
    dropRepeatedBlocks: z.number().min(0).max(0.75).default(0),
  })
  .strict();
export type TDistillOptions = z.infer<typeof ZDistillOptions>;

export const ZDistillStep = z.object({ pass: z.literal("distill"), options: ZDistillOptions.default(ZDistillOptions.parse({})) });

export const ZPipelineStep = z.discriminatedUnion("pass", [ZAnalyzeStep, ZInt8DynamicStep, ZInt8StaticStep, ZFp16Step, ZInt4WeightStep, ZPruneMagnitudeStep, ZPruneNmStep, ZPruneChannelsStep, ZLowRankStep, ZClusterStep, ZDistillStep]);
export type TPipelineStep = z.infer<typeof ZPipelineStep>;
export type TPassName = TPipelineStep["pass"];

export const ZPipelineSpec = z
  .object({
    steps: z.array(ZPipelineStep).min(1, "a pipeline needs at least one step").max(16, "at most 16 steps"),
  })
  .strict();
export type TPipelineSpec = z.infer<typeof ZPipelineSpec>;

/** A named, documented pipeline users pick instead of writing one. */
export type TPreset = { name: string; description: string; pipeline: TPipelineSpec };

export const PRESETS: ReadonlyMap<string, TPreset> = new Map(
  (
    [
      {
        name: "analyze",
        description: "Inspect the model (opsets, IO, ops, parameters) and measure its CPU latency. Changes nothing.",
        pipeline: { steps: [{ pass: "analyze", options: { latencyRuns: 20, warmupRuns: 3, dynamicDimSize: 1 } }] },
      },
      {
        name: "int8-dynamic",
        description:
          "int8 weights (per channel) with activations quantized at run time, for MatMul/Gemm layers. ~4x smaller MatMul weights; best for transformer and RNN heads.",
        pipeline: { steps: [{ pass: "int8-dynamic", options: ZInt8DynamicOptions.parse({}) }] },
      },
      {
        name: "int8-static",
        description:
          "int8 weights and activations (QDQ, calibrated with percentile ranges). ~4x smaller and faster on CPU for CNNs; give calibration data for best fidelity.",
        pipeline: { steps: [{ pass: "int8-static", options: ZInt8StaticOptions.parse({}) }] },
      },
      {
        name: "fp16",
        description: "float16 weights and compute with float32 inputs/outputs; sensitive ops stay float32. ~2x smaller; fast on GPUs.",
        pipeline: { steps: [{ pass: "fp16", options: ZFp16Options.parse({}) }] },
      },
      {
        name: "int4-weight",
        description:
          "4-bit MatMul weights (MatMulNBits, blocks of 32); GPTQ when calibration data is given. ~7x smaller MatMul weights.",
        pipeline: { steps: [{ pass: "int4-weight", options: ZInt4WeightOptions.parse({}) }] },
      },
      {
        name: "prune-magnitude",
        description: "Zero the 50% smallest weights per layer (first/last kept) and store them sparse. Smaller file, same speed.",
        pipeline: { steps: [{ pass: "prune-magnitude", options: ZPruneMagnitudeOptions.parse({}) }] },
      },
      {
        name: "prune-nm",
        description: "2:4 sparsity along the input dimension of Conv/MatMul/Gemm weights, the pattern GPU sparse tensor cores run faster.",
        pipeline: { steps: [{ pass: "prune-nm", options: ZPruneNmOptions.parse({}) }] },
      },
      {
        name: "prune-channels",
        description: "Remove 30% of the channels of every prunable layer group (L1 importance): a smaller, faster dense model; fine-tune to recover accuracy.",
        pipeline: { steps: [{ pass: "prune-channels", options: ZPruneChannelsOptions.parse({}) }] },
      },
      {
        name: "low-rank",
        description: "Truncated SVD of MatMul/Gemm weights and Tucker-2 of Conv weights (90% energy kept), only where it saves parameters and MACs. Fine-tune to recover accuracy.",
        pipeline: { steps: [{ pass: "low-rank", options: ZLowRankOptions.parse({}) }] },
      },
      {
        name: "cluster",
        description: "k-means weight sharing (k = 16, one codebook per weight over channel-scaled values): 4-bit indices decoded in the graph, BatchNorm folded first. ~4-6x smaller file, same speed; granularity=channel for more fidelity.",
        pipeline: { steps: [{ pass: "cluster", options: ZClusterOptions.parse({}) }] },
      },
      {
        name: "max-compression",
        description: "Smallest file: 50% magnitude pruning, then k-means weight sharing (k = 16, 4-bit indices, zero kept exact). ~4-5x smaller raw, much smaller gzipped.",
        pipeline: {
          steps: [
            { pass: "prune-magnitude", options: ZPruneMagnitudeOptions.parse({ storage: "dense" }) },
            { pass: "cluster", options: ZClusterOptions.parse({}) },
          ],
        },
      },
      {
        name: "distill",
        description:
          "Remove 50% of the channels of every prunable layer group, then distil the original model into the smaller one (KL on softened outputs) to recover the fidelity pruning lost. Give calibration data (labels help).",
        pipeline: {
          steps: [
            { pass: "prune-channels", options: ZPruneChannelsOptions.parse({ ratio: 0.5 }) },
            { pass: "distill", options: ZDistillOptions.parse({}) },
          ],
        },
      },
      {
        name: "distill-depth",
        description:
          "Drop every other repeated block (transformer layers, identical residual blocks), keeping the others' weights, then distil the original model into the shallower one. For deep models built from repeated layers; give calibration data.",
        pipeline: { steps: [{ pass: "distill", options: ZDistillOptions.parse({ dropRepeatedBlocks: 0.5 }) }] },
      },
      {
        name: "max-speed",
        description: "Fastest on CPU: remove 30% of channels, then static int8 (QDQ). Smaller and faster; calibration data and fine-tuning recover accuracy.",
        pipeline: {
          steps: [
            { pass: "prune-channels", options: ZPruneChannelsOptions.parse({}) },
            { pass: "int8-static", options: ZInt8StaticOptions.parse({}) },
          ],
        },
      },
    ] satisfies TPreset[]
  ).map((p) => [p.name, p]),
);

/** Looks up a preset by name, or undefined. */
export function findPreset(name: string): TPreset | undefined {
  return PRESETS.get(name);
}

/**
 * Parses a pipeline from untrusted JSON text with errors that point at the step and option,
 * e.g. `steps[0].options.latencyRuns: Too big: expected number to be <=1000`.
 */
export function parsePipelineJson(text: string): { ok: true; pipeline: TPipelineSpec } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `pipeline is not valid JSON: ${(err as Error).message}` };
  }
  return validatePipeline(raw);
}

/** Validates an already-parsed pipeline value. */
export function validatePipeline(raw: unknown): { ok: true; pipeline: TPipelineSpec } | { ok: false; error: string } {
  const parsed = ZPipelineSpec.safeParse(raw);
  if (parsed.success) return { ok: true, pipeline: parsed.data };
  const lines = parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  return { ok: false, error: `invalid pipeline: ${lines.join("; ")}` };
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return "pipeline";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

/** Short option names accepted in the text form, per pass (the JSON form always uses the full names). */
const TEXT_OPTION_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "int8-static": { calibration: "calibrationMethod" },
};

/** Splits on `sep` characters that are not inside (), [] or quotes. */
function splitTopLevel(text: string, isSep: (ch: string) => boolean): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = "";
  let cur = "";
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (depth === 0 && isSep(ch)) {
      parts.push(cur);
      cur = "";
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts;
}

function parseTextValue(raw: string): unknown {
  const v = raw.trim();
  if (/^(["']).*\1$/s.test(v)) return v.slice(1, -1);
  if (v.startsWith("[") && v.endsWith("]")) {
    const inner = v.slice(1, -1).trim();
    return inner === "" ? [] : splitTopLevel(inner, (c) => c === "," || c === ";").map(parseTextValue);
  }
  if (v === "true" || v === "false") return v === "true";
  if (v !== "" && Number.isFinite(Number(v))) return Number(v);
  return v;
}

/**
 * Parses the compact text form used on the command line into a pipeline spec (JSON stays the canonical form):
 * `prune-channels(ratio=0.3) > int8-static(calibration=entropy)`. Steps are separated by `>` or `→`; options are
 * `name=value` (numbers, true/false, strings, lists as `[a,b]`). Errors point at the step and option.
 */
export function parsePipelineText(text: string): { ok: true; pipeline: TPipelineSpec } | { ok: false; error: string } {
  const stepTexts = splitTopLevel(text, (c) => c === ">" || c === "→").map((s) => s.trim());
  const steps: unknown[] = [];
  for (const [i, stepText] of stepTexts.entries()) {
    const m = /^([a-z0-9-]+)\s*(?:\((.*)\))?$/s.exec(stepText);
    if (!m) return { ok: false, error: `invalid pipeline: steps[${i}]: expected PASS or PASS(option=value, ...), got "${stepText}"` };
    const pass = m[1];
    const options: Record<string, unknown> = {};
    const body = (m[2] ?? "").trim();
    if (body !== "") {
      for (const assignment of splitTopLevel(body, (c) => c === ",")) {
        const eq = assignment.indexOf("=");
        const key = assignment.slice(0, eq).trim();
        if (eq <= 0 || !/^[A-Za-z][A-Za-z0-9]*$/.test(key)) {
          return { ok: false, error: `invalid pipeline: steps[${i}].options: expected name=value, got "${assignment.trim()}"` };
        }
        options[TEXT_OPTION_ALIASES[pass]?.[key] ?? key] = parseTextValue(assignment.slice(eq + 1));
      }
    }
    steps.push({ pass, options });
  }
  return validatePipeline({ steps });
}
