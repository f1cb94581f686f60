/**
 * `npx tsx bench/train-bench.ts`: the proof numbers of the distillation issue, on this machine.
 * 1. Accuracy: a teacher CNN trained by this engine on generated shapes (10 classes, 16×16, known labels); the
 *    student is the teacher with 50% of its channels removed (prune-channels); its accuracy after pruning alone and
 *    after distillation on unlabelled inputs (target: ≥ 95% of the teacher's accuracy).
 * 2. Speed: one training step (forward + loss + backward in onnxruntime) vs a forward pass of the same batch
 *    (target ≤ 4×), median of interleaved runs, 1 intra-op thread.
 * 3. `--fixture`: the PP-OCR MobileNetV3 text-direction classifier pruned 30%, distilled on synthetic text-line
 *    images: held-out fidelity to the original before and after, and the step/forward ratio at batch 16.
 * 4. `encoder`: the depth-reduced student (distill-depth): a generated 6-layer transformer encoder loses every other
 *    layer; held-out fidelity to the teacher before and after distillation, size and forward time.
 * Flags: `--speed-only` measures only the step/forward ratios (shapes CNNs untrained, ppocr_cls pruned but not
 * distilled; a ratio does not depend on the weights' values), `--model shapes|ppocr_cls|encoder` restricts the cases,
 * `--threads 1,2` the intra-op thread counts (forward and step always use the same), `--runs N` the interleaved runs.
 * Prints markdown and writes bench/results/training.md (bench/results/training-speed.md with --speed-only).
 * Not a test: numbers depend on the machine.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { THostTensor } from "../worker/data/host-tensor";
import { decodeModel, encodeModel } from "../worker/onnx/model-io";
import { DTYPE } from "../worker/onnx/dtypes";
import { createTensorValueInfo, type TModelProto } from "../worker/onnx/onnx-proto";
import { DEFAULT_DISTILL_SETTINGS, DISTILL_GRAPH_REWRITES, distillModel, type TDistillReport } from "../worker/passes/distill/distill-model";
import { pruneChannels } from "../worker/passes/prune/prune-channels";
import { createInferenceSession, createRuntimeTensor, getRuntimeInfo, type TRuntimeTensor } from "../worker/runtime/ort";
import { reduceDepth } from "../worker/passes/distill/reduce-depth";
import { buildTransformerEncoder, createRandom as createNormalRandom } from "../worker/passes/quantize/testing/build-models";
import { probeValueShapes } from "../worker/train/autodiff/probe-shapes";
import { buildTrainingGraph } from "../worker/train/autodiff/build-training-graph";
import type { TLossTerm } from "../worker/train/autodiff/loss-terms";
import { createRandom } from "../worker/train/random";
import { SHAPE_CLASS_COUNT, createShapesCnn, generateShapesDataset } from "../worker/train/shapes-task";
import { measureAccuracy, trainSupervised } from "../worker/train/train-supervised";
import { clipGradientsByGlobalNorm, createOptimizer } from "../worker/train/optimizers";
import { TrainingSession } from "../worker/train/training-session";
import { getFixtureModel } from "../tests/fixtures/fetch-models";
import { readListFlag } from "./bench-args";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const lines: string[] = [];
const log = (s = "") => {
  lines.push(s);
  console.log(s);
};

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median forward and training-step times, measured interleaved so both see the same machine state. */
async function measureStepVsForward(
  model: TModelProto,
  input: string,
  image: THostTensor,
  losses: TLossTerm[],
  runs: number,
  threads = 1,
): Promise<{ forwardMs: number; asGivenMs: number; weightsAsInputsMs: number; stepMs: number; ratio: number; minRatio: number; cpuRatio: number; updateMs: number }> {
  // As distillation builds it (BatchNorm folded, hard-swish fused). The forward baseline is that same rewritten model
  // with constant weights, the model distillation exports: the rewrites must not flatter the ratio.
  const graph = await buildTrainingGraph(model, { feedShapes: { [input]: image.dims }, losses, ...DISTILL_GRAPH_REWRITES });
  const training = await TrainingSession.create(graph, { intraOpThreads: threads });
  const forward = await createInferenceSession(encodeModel(graph.forward), { intraOpThreads: threads });
  // The same forward graph with its trained weights fed as inputs, as the training graph must: the part of the gap
  // that is onnxruntime losing constant-weight optimisations (prepacking, NCHWc layouts), not the backward pass.
  const asInputs = structuredClone(graph.forward);
  const paramNames = new Set(graph.params.map((p) => p.name));
  asInputs.graph!.initializer = asInputs.graph!.initializer.filter((t) => !paramNames.has(t.name ?? ""));
  for (const p of graph.params) asInputs.graph!.input.push(createTensorValueInfo(p.name, DTYPE.FLOAT, p.dims));
  const forwardInputs = await createInferenceSession(encodeModel(asInputs), { intraOpThreads: threads });
  // The student exactly as the caller passed it (before distillation's exact rewrites): session 2's baseline.
  const asGiven = await createInferenceSession(encodeModel(model), { intraOpThreads: threads });
  const a: number[] = [];
  const weightFeeds: Record<string, TRuntimeTensor> = Object.fromEntries(graph.params.map((p) => [p.name, { type: "float32", dims: p.dims, data: p.initial }]));
  const feeds: Record<string, THostTensor> = { [input]: image };
  for (const t of graph.targets) feeds[t.name] = { dtype: "float32", dims: t.dims, data: new Float32Array(t.dims.reduce((a, b) => a * b, 1)).fill(1 / t.dims.at(-1)!) };
  const fwdFeed: Record<string, TRuntimeTensor> = { [input]: { type: "float32", dims: image.dims, data: image.data } };
  const f: number[] = [];
  const w: number[] = [];
  const s: number[] = [];
  const fCpu: number[] = [];
  const sCpu: number[] = [];
  const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  const updates: number[] = [];
  try {
    // The JS update that follows each step (train-loop.ts): is it worth fusing into the graph?
    const { grads } = await training.computeGradients(feeds);
    const optimizer = createOptimizer({ kind: "adamw", beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4 }, new Set(graph.params.filter((p) => p.dims.length >= 2).map((p) => p.name)));
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      clipGradientsByGlobalNorm(grads, 5);
      optimizer.step(training.params, grads, 0);
      updates.push(performance.now() - t0);
    }
    for (let i = 0; i < runs + 3; i++) {
      let c0 = process.cpuUsage();
      let t0 = performance.now();
      await forward.run(fwdFeed);
      if (i >= 3) {
        f.push(performance.now() - t0);
        fCpu.push(cpuMs(process.cpuUsage(c0)));
      }
      t0 = performance.now();
      await forwardInputs.run({ ...fwdFeed, ...weightFeeds });
      if (i >= 3) w.push(performance.now() - t0);
      t0 = performance.now();
      await asGiven.run(fwdFeed);
      if (i >= 3) a.push(performance.now() - t0);
      c0 = process.cpuUsage();
      t0 = performance.now();
      await training.computeGradients(feeds);
      if (i >= 3) {
        s.push(performance.now() - t0);
        sCpu.push(cpuMs(process.cpuUsage(c0)));
      }
    }
  } finally {
    await training.release();
    await forward.release();
    await forwardInputs.release();
    await asGiven.release();
  }
  // The minimum is the least disturbed run; process CPU time is what the run itself cost, whatever else the shared
  // machine was doing (one intra-op thread, so it does not count idle waits).
  return {
    forwardMs: median(f),
    asGivenMs: median(a),
    weightsAsInputsMs: median(w),
    stepMs: median(s),
    ratio: median(s) / median(f),
    minRatio: Math.min(...s) / Math.min(...f),
    cpuRatio: median(sCpu) / median(fCpu),
    updateMs: median(updates),
  };
}

async function benchShapes(): Promise<void> {
  const train = generateShapesDataset(4000, { seed: 1 });
  const test = generateShapesDataset(2000, { seed: 2 });
  const unlabelled = generateShapesDataset(4000, { seed: 3 });
  const image = (d: typeof train): THostTensor => ({ dtype: "float32", dims: [d.count, 1, d.size, d.size], data: d.images });
  let t0 = performance.now();
  const { model: teacher, result } = await trainSupervised(
    createShapesCnn({ widths: [16, 32, 64] }),
    { input: "image", output: "logits", images: image(train), labels: train.labels, classes: SHAPE_CLASS_COUNT },
    { epochs: 15, batchSize: 64, lr: 3e-3, warmupSteps: 30 },
  );
  const teacherMs = performance.now() - t0;
  const teacherAcc = await measureAccuracy(teacher, "image", "logits", image(test), test.labels);
  const pruned = await pruneChannels(teacher, { ratio: 0.5, roundTo: 1 });
  const prunedAcc = await measureAccuracy(pruned.model, "image", "logits", image(test), test.labels);
  t0 = performance.now();
  const distilled = await distillModel({
    teacher,
    student: pruned.model,
    inputs: { image: image(unlabelled) },
    settings: { ...DEFAULT_DISTILL_SETTINGS, epochs: 20, batchSize: 64, lr: 3e-3, patience: 6 },
  });
  const distillMs = performance.now() - t0;
  const distilledAcc = await measureAccuracy(distilled.model, "image", "logits", image(test), test.labels);
  const params = (m: TModelProto) => m.graph!.initializer.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
  log("## Generated shapes task (10 classes, 16×16, labels known)");
  log();
  log(`Teacher: CNN 16/32/64 channels, ${params(teacher)} parameters, trained by this engine on ${train.count} samples ` +
    `(${result.steps} AdamW steps, batch 64, ${(teacherMs / 1000).toFixed(1)} s). Test set: ${test.count} new samples.`);
  log(`Student: teacher after prune-channels (50%, L1), ${params(pruned.model)} parameters; distilled on ${unlabelled.count} ` +
    `unlabelled inputs (T = 4, KL only, ${distilled.report.steps} steps, best epoch ${(distilled.report.bestEpoch ?? 0) + 1}/${distilled.report.epochsRun}, ${(distillMs / 1000).toFixed(1)} s).`);
  log();
  log("| model | test accuracy | vs teacher |");
  log("|---|---|---|");
  log(`| teacher | ${(teacherAcc * 100).toFixed(1)}% | 100% |`);
  log(`| student, pruned only | ${(prunedAcc * 100).toFixed(1)}% | ${((prunedAcc / teacherAcc) * 100).toFixed(1)}% |`);
  log(`| student, pruned + distilled | ${(distilledAcc * 100).toFixed(1)}% | ${((distilledAcc / teacherAcc) * 100).toFixed(1)}% |`);
  log();
  log(`Held-out top-1 agreement with the teacher: ${pct(distilled.report.before.top1Agreement)} before, ${pct(distilled.report.after.top1Agreement)} after.`);
  log();
  const batch = 64;
  const slice: THostTensor = { dtype: "float32", dims: [batch, 1, 16, 16], data: test.images.slice(0, batch * 256) };
  const speedTeacher = await measureStepVsForward(teacher, "image", slice, [{ kind: "cross-entropy", output: "logits", weight: 1 }], 30);
  const speedStudent = await measureStepVsForward(pruned.model, "image", slice, [{ kind: "kl-distill", output: "logits", temperature: 4, weight: 1 }], 30);
  log("## Training step vs forward pass (batch 64, 1 thread, median of 30 interleaved runs)");
  log();
  log("| model | forward ms | forward, student as given, ms | forward, weights as inputs, ms | training step ms | ratio of medians (target ≤ 4×) | ratio to the as-given forward | ratio of minimums | ratio of CPU times | AdamW update ms (JS) |");
  log("|---|---|---|---|---|---|---|---|---|---|");
  for (const [label, sp] of [["teacher (CE loss)", speedTeacher], ["student (KL loss)", speedStudent]] as const) log(speedRow(label, sp));
  log();
  log("The forward pass is the model distillation trains and exports (BatchNorm folded, hard-swish fused) with its weights as constants (onnxruntime may fold/prepack them); the training graph gets them as inputs each step. The step excludes the JS optimizer update (gradient clipping + AdamW, its own column).");
  log();
}

function speedRow(label: string, sp: Awaited<ReturnType<typeof measureStepVsForward>>, threads?: number): string {
  return `| ${label}${threads === undefined ? "" : ` | ${threads}`} | ${sp.forwardMs.toFixed(2)} | ${sp.asGivenMs.toFixed(2)} | ${sp.weightsAsInputsMs.toFixed(2)} | ${sp.stepMs.toFixed(2)} | ${sp.ratio.toFixed(2)}× | ${(sp.stepMs / sp.asGivenMs).toFixed(2)}× | ${sp.minRatio.toFixed(2)}× | ${sp.cpuRatio.toFixed(2)}× | ${sp.updateMs.toFixed(2)} |`;
}

/** Students' held-out fidelity to the teacher, one row each (top-1 agreement only for class scores). */
function logFidelityTable(rows: [string, TDistillReport["before"]][], withTop1: boolean): void {
  log(withTop1 ? "| student | cosine | SNR dB | top-1 agreement |" : "| student | cosine | SNR dB |");
  log(withTop1 ? "|---|---|---|---|" : "|---|---|---|");
  for (const [label, e] of rows) log(`| ${label} | ${e.cosine.toFixed(4)} | ${e.snrDb.toFixed(1)} |${withTop1 ? ` ${pct(e.top1Agreement)} |` : ""}`);
}

function pct(v: number | undefined): string {
  return v === undefined ? "n/a" : `${(v * 100).toFixed(1)}%`;
}

/** Synthetic text-line images (light paper, dark word-like bars, half upside down), normalised as PP-OCR does. */
function createTextLines(count: number, seed: number): THostTensor {
  const [h, w] = [48, 192];
  const rand = createRandom(seed);
  const data = new Float32Array(count * 3 * h * w);
  for (let n = 0; n < count; n++) {
    const img = new Float32Array(h * w).fill(0.85 + 0.15 * rand());
    const flip = rand() < 0.5;
    const words = 3 + Math.floor(rand() * 6);
    for (let k = 0; k < words; k++) {
      const x0 = Math.floor(rand() * (w - 34));
      const len = 8 + Math.floor(rand() * 25);
      const y0 = 12 + Math.floor(rand() * 8);
      const bh = 8 + Math.floor(rand() * 12);
      for (let y = y0; y < Math.min(h, y0 + bh); y++) {
        for (let x = x0; x < x0 + len; x++) if (rand() < 0.7) img[(flip ? h - 1 - y : y) * w + (flip ? w - 1 - x : x)] = 0.15 * rand();
      }
    }
    for (let c = 0; c < 3; c++) for (let i = 0; i < h * w; i++) data[(n * 3 + c) * h * w + i] = (img[i]! - 0.5) / 0.5;
  }
  return { dtype: "float32", dims: [count, 3, h, w], data };
}

async function benchFixture(): Promise<void> {
  const { teacher, pruned, input, logits } = await preparePrunedCls();
  const images = createTextLines(768, 5);
  const t0 = performance.now();
  const r = await distillModel({
    teacher,
    student: pruned,
    inputs: { [input]: images },
    settings: { ...DEFAULT_DISTILL_SETTINGS, epochs: 6, batchSize: 16, lr: 1e-3 },
  });
  const ms = performance.now() - t0;
  const first16: THostTensor = { dtype: "float32", dims: [16, 3, 48, 192], data: (images.data as Float32Array).slice(0, 16 * 3 * 48 * 192) };
  const speed = await measureStepVsForward(pruned, input, first16, [{ kind: "kl-distill", output: logits, temperature: 4, weight: 1 }], 20);
  log("## PP-OCR text-direction classifier (MobileNetV3, HardSwish/SE, depthwise), 30% channels pruned");
  log();
  log(`Distilled on ${r.report.trainSamples} synthetic text-line images (48×192), ${r.report.steps} steps at batch 16, ${(ms / 1000).toFixed(0)} s; fidelity to the original on ${r.report.holdoutSamples} held-out images.`);
  log();
  logFidelityTable([["pruned only", r.report.before], ["pruned + distilled", r.report.after]], true);
  log();
  log("Training step vs forward at batch 16 (median of 20 interleaved runs, 1 thread):");
  log();
  log("| model | forward ms | forward, student as given, ms | forward, weights as inputs, ms | training step ms | ratio of medians (target ≤ 4×) | ratio to the as-given forward | ratio of minimums | ratio of CPU times | AdamW update ms (JS) |");
  log("|---|---|---|---|---|---|---|---|---|---|");
  log(speedRow("ppocr_cls 30% pruned (KL loss)", speed));
  log();
}

/** Step/forward ratios only, per model and thread count (the cases of the full run, without training first). */
async function benchSpeedOnly(): Promise<void> {
  const runs = Number(runsFlag?.[0] ?? 20);
  log(`## Training step vs forward pass (median of ${runs} interleaved runs; forward and step with the same thread count)`);
  log();
  log("| model | threads | forward ms | forward, student as given, ms | forward, weights as inputs, ms | training step ms | ratio of medians (target ≤ 4×) | ratio to the as-given forward | ratio of minimums | ratio of CPU times | AdamW update ms (JS) |");
  log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const threads of threadCounts) {
    if (models.includes("shapes")) {
      const test = generateShapesDataset(64, { seed: 2 });
      const slice: THostTensor = { dtype: "float32", dims: [64, 1, 16, 16], data: test.images };
      const teacher = createShapesCnn({ widths: [16, 32, 64] });
      const student = (await pruneChannels(teacher, { ratio: 0.5, roundTo: 1 })).model;
      const t = await measureStepVsForward(teacher, "image", slice, [{ kind: "cross-entropy", output: "logits", weight: 1 }], runs, threads);
      log(speedRow("shapes teacher, batch 64 (CE loss)", t, threads));
      const st = await measureStepVsForward(student, "image", slice, [{ kind: "kl-distill", output: "logits", temperature: 4, weight: 1 }], runs, threads);
      log(speedRow("shapes student, batch 64 (KL loss)", st, threads));
    }
    if (models.includes("ppocr_cls")) {
      const { pruned, input, logits } = await preparePrunedCls();
      const images = createTextLines(16, 5);
      const sp = await measureStepVsForward(pruned, input, images, [{ kind: "kl-distill", output: logits, temperature: 4, weight: 1 }], runs, threads);
      log(speedRow("ppocr_cls 30% pruned, batch 16 (KL loss)", sp, threads));
    }
  }
  log();
  log("The forward pass is the model distillation trains and exports (BatchNorm folded, hard-swish fused) with constant weights (the target's baseline); “as given” is the student before those rewrites (session 2's baseline). The step runs forward + loss + backward with the weights fed as inputs and excludes the optimizer update.");
  log();
}

/** The depth-reduced student: a 6-layer encoder without every other layer, distilled on random token sequences. */
async function benchDepthReduced(): Promise<void> {
  const [seq, dim, count] = [16, 96, 512];
  const teacher = buildTransformerEncoder({ dim, heads: 4, blocks: 6, seed: 21 });
  const rng = createNormalRandom(3);
  const x: THostTensor = { dtype: "float32", dims: [count, seq, dim], data: Float32Array.from({ length: count * seq * dim }, () => rng.normal()) };
  const shapes = await probeValueShapes(teacher, { x: [1, seq, dim] });
  const reduced = reduceDepth(teacher, shapes, 0.5);
  const t0 = performance.now();
  const r = await distillModel({ teacher, student: reduced.model, inputs: { x }, settings: { ...DEFAULT_DISTILL_SETTINGS, epochs: 8, batchSize: 32, lr: 3e-3, patience: 8 } });
  const ms = performance.now() - t0;
  const batch: Record<string, TRuntimeTensor> = { x: createRuntimeTensor("float32", (x.data as Float32Array).slice(0, 32 * seq * dim), [32, seq, dim]) };
  const [teacherSession, studentSession] = await Promise.all([teacher, r.model].map((m) => createInferenceSession(encodeModel(m), { intraOpThreads: 1 })));
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < 25; i++) {
    for (const [k, session] of [teacherSession, studentSession].entries()) {
      const start = performance.now();
      await session.run(batch);
      if (i >= 5) times[k]!.push(performance.now() - start);
    }
  }
  await Promise.all([teacherSession.release(), studentSession.release()]);
  const [teacherBytes, studentBytes] = [encodeModel(teacher).byteLength, encodeModel(r.model).byteLength];
  log("## Depth-reduced student (distill-depth): 6-layer transformer encoder, every other layer dropped");
  log();
  log(`Teacher: generated encoder (dim ${dim}, 4 heads, 6 layers, ${(teacherBytes / 1e6).toFixed(2)} MB). Student: layers ${reduced.blocksAfter} of ${reduced.blocksBefore} kept with their weights (${(studentBytes / 1e6).toFixed(2)} MB, ×${(studentBytes / teacherBytes).toFixed(3)}; ${reduced.nodesAfter} of ${reduced.nodesBefore} nodes). Distilled on ${r.report.trainSamples} random sequences [${seq}×${dim}], ${r.report.steps} steps at batch 32, ${(ms / 1000).toFixed(1)} s; fidelity on ${r.report.holdoutSamples} held-out sequences.`);
  log();
  logFidelityTable([["layers dropped only", r.report.before], ["layers dropped + distilled", r.report.after]], false);
  log();
  log(`Forward at batch 32, 1 thread, median of 20 interleaved runs: teacher ${median(times[0]).toFixed(2)} ms, student ${median(times[1]).toFixed(2)} ms (×${(median(times[1]) / median(times[0])).toFixed(2)}).`);
  log();
}

/** The ppocr_cls teacher pruned 30% (as the bench's fixture case), its input and its logits value. */
async function preparePrunedCls(): Promise<{ teacher: TModelProto; pruned: TModelProto; input: string; logits: string }> {
  const teacher = decodeModel(new Uint8Array(await readFile(await getFixtureModel("ppocr_cls"))));
  const input = teacher.graph!.input[0]!.name!;
  const pruned = await pruneChannels(teacher, { ratio: 0.3, shapeDimSize: 64 });
  const logits = teacher.graph!.node.find((n) => n.output[0] === teacher.graph!.output[0]!.name && n.opType === "Softmax")?.input[0] ?? teacher.graph!.output[0]!.name!;
  return { teacher, pruned: pruned.model, input, logits };
}

const argv = process.argv.slice(2);
const speedOnly = argv.includes("--speed-only");
const models = readListFlag(argv, "model") ?? (argv.includes("--fixture") || speedOnly ? ["shapes", "ppocr_cls", "encoder"] : ["shapes", "encoder"]);
const threadCounts = (readListFlag(argv, "threads") ?? ["1"]).map(Number);
const runsFlag = readListFlag(argv, "runs");
const info = getRuntimeInfo({ intraOpThreads: 1 });
log(`# Training engine and distillation (${new Date().toISOString().slice(0, 10)})`);
log();
log(`onnxruntime ${info.onnxruntimeVersion} (${info.executionProvider}), ${info.cpu}, ${os.availableParallelism()} cores, Node ${info.nodeVersion}, load average ${os.loadavg()[0]!.toFixed(1)} at start.`);
log();
if (speedOnly) await benchSpeedOnly();
else {
  if (models.includes("shapes")) await benchShapes();
  if (models.includes("ppocr_cls")) await benchFixture();
  if (models.includes("encoder")) await benchDepthReduced();
}
await mkdir(path.join(ROOT, "bench", "results"), { recursive: true });
await writeFile(path.join(ROOT, "bench", "results", speedOnly ? "training-speed.md" : "training.md"), lines.join("\n") + "\n");
