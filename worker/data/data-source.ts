import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../../contracts/app-error";
import type { TTensorInfo } from "../../contracts/report";
import { formatDims, sliceRows, type THostDtype, type THostFeeds, type THostTensor } from "./host-tensor";
import { openNpyFile, type TNpyFile } from "./npy";
import { openNpz } from "./npz";
import { readTensorProto } from "./tensor-proto-file";
import { throwIfAborted } from "../pipeline/abort";

/**
 * Calibration / evaluation data as a lazy stream of model feeds. Layouts accepted (by `openDataSource`):
 * - `x.npy`: one array for a single-input model (axis 0 = samples);
 * - `data.npz`: one array per input (named like the input, or `arr_0`, `arr_1`, … by position), optional `labels`;
 * - a folder of `.npy` files named like the inputs (+ optional `labels.npy`), read row by row from disk;
 * - a folder of `.npz` files: chunks of the same dataset, opened one at a time;
 * - ONNX model-zoo layout: `test_data_set_N/input_M.pb` (+ `output_M.pb` reference outputs), or one such folder,
 *   or a single `.pb` TensorProto. Each set is one batch, fed as stored.
 * Names, ranks, static dims and dtypes are checked against the model up front: errors name the input and say
 * expected vs got.
 */

/** One batch of data: feeds for every model input, plus labels / reference outputs when the dataset has them. */
export type TDataBatch = {
  feeds: THostFeeds;
  /** Integer class ids, one per sample of the batch. */
  labels?: THostTensor;
  /** Expected outputs stored with the data (model-zoo `output_M.pb`), by output name. */
  references?: THostFeeds;
  /** Samples in this batch (rows along axis 0; 1 for a model-zoo set). */
  sampleCount: number;
};

/** A re-iterable, lazy dataset. Each `batches()` call starts from the beginning and reads as it goes. */
export type TDataSource = {
  /** "generated" when made up from the model signature, "user" when read from the user's files. */
  source: "generated" | "user";
  /** One sentence for the report, e.g. "user data: calib.npz (64 samples, batches of 8)". */
  description: string;
  /** Total samples, when known without reading the data. */
  sampleCount?: number;
  /** True when batches carry labels (accuracy can be measured). */
  hasLabels: boolean;
  batches: (opts?: { maxBatches?: number; signal?: AbortSignal }) => AsyncIterable<TDataBatch>;
};

export type TOpenDataSourceOptions = {
  /** The model's graph inputs (names, element types, shapes) — from analyzeModel or the graph. */
  modelInputs: readonly TTensorInfo[];
  /** The model's graph outputs, used to name model-zoo `output_M.pb` references by position. */
  modelOutputs?: readonly TTensorInfo[];
  /** Samples per batch when the model's batch axis is dynamic (default 8). */
  batchSize?: number;
  /** A separate labels file (`labels.npy`, integer class ids, shape [N] or [N, 1]). */
  labelsPath?: string;
};

const DEFAULT_BATCH_SIZE = 8;
const MODEL_ZOO_SET = /^test_data_set_(\d+)$/;
const MODEL_ZOO_FILE = /^(input|output)_(\d+)\.pb$/;

/** ONNX element type names as written by analyzeModel ("float32") and their spec aliases ("float", "double"). */
const ELEM_TYPE_ALIASES: Readonly<Record<string, THostDtype>> = { float: "float32", double: "float64", half: "float16" };

function normalizeElemType(elemType: string): string {
  const lower = elemType.toLowerCase();
  return ELEM_TYPE_ALIASES[lower] ?? lower;
}

function badInput(userMessage: string, cause?: unknown): AppError {
  return new AppError("BAD_INPUT", { userMessage, cause });
}

/** A column of samples for one input: rows are read on demand. */
type TColumn = {
  dtype: THostDtype;
  dims: number[];
  readRows: (start: number, count: number) => Promise<THostTensor>;
  close?: () => Promise<void>;
};

function columnFromTensor(t: THostTensor): TColumn {
  return {
    dtype: t.dtype,
    dims: t.dims,
    readRows: async (start, count) => (t.dims.length === 0 ? t : sliceRows(t, start, Math.max(0, Math.min(count, t.dims[0] - start)))),
  };
}

function columnFromNpy(f: TNpyFile): TColumn {
  return { dtype: f.header.dtype, dims: f.header.dims, readRows: f.readRows, close: f.close };
}

/** How one input's column is fed: the same tensor every batch, or sliced along axis 0. */
type TInputPlan = { info: TTensorInfo; mode: "constant" } | { info: TTensorInfo; mode: "rows"; rows: number };

function isFullyStatic(shape: TTensorInfo["shape"]): shape is number[] {
  return !!shape && shape.every((d) => typeof d === "number" && d >= 0);
}

/** Checks dtype/rank/static dims of one input's column and decides whether it is constant or sliced. */
function planInput(info: TTensorInfo, col: { dtype: THostDtype; dims: number[] }, label: string): TInputPlan {
  const expectedType = normalizeElemType(info.elemType);
  if (col.dtype !== expectedType) {
    const hint = expectedType.startsWith("float") || expectedType.startsWith("int") ? ` (convert it, e.g. x.astype(numpy.${expectedType}))` : "";
    throw badInput(`input '${info.name}' (${label}): expected dtype ${expectedType}, got ${col.dtype}${hint}`);
  }
  const shape = info.shape;
  const expectedShape = `${formatDims(shape)}`;
  if (!shape) return col.dims.length === 0 ? { info, mode: "constant" } : { info, mode: "rows", rows: col.dims[0] };
  if (col.dims.length !== shape.length) {
    throw badInput(
      `input '${info.name}' (${label}): expected rank ${shape.length} (shape ${expectedShape}, axis 0 = samples), got shape ${formatDims(col.dims)}`,
    );
  }
  if (shape.length === 0) return { info, mode: "constant" };
  for (let i = 1; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d === "number" && d >= 0 && d !== col.dims[i]) {
      throw badInput(`input '${info.name}' (${label}): expected shape ${expectedShape}, got ${formatDims(col.dims)} (axis ${i} must be ${d})`);
    }
  }
  // An input whose data is exactly its fully static shape (a state tensor, a sample rate) is fed unchanged each batch.
  if (isFullyStatic(shape) && shape.every((d, i) => d === col.dims[i])) return { info, mode: "constant" };
  const d0 = shape[0];
  if (typeof d0 === "number" && d0 > 0 && col.dims[0] % d0 !== 0) {
    throw badInput(
      `input '${info.name}' (${label}): the model takes batches of exactly ${d0} (shape ${expectedShape}); got ${col.dims[0]} samples, not a multiple of ${d0}`,
    );
  }
  return { info, mode: "rows", rows: col.dims[0] };
}

/** Matches array names to model inputs: by exact (or file-safe) name, `arr_i`/`input_i` by position, or the only one. */
export function matchArraysToInputs(
  arrayNames: readonly string[],
  modelInputs: readonly TTensorInfo[],
  label: string,
): Map<string, string> {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, "_");
  const byInput = new Map<string, string>();
  const data = arrayNames.filter((n) => n !== "labels");
  const unmatched: string[] = [];
  for (const a of data) {
    const exact = modelInputs.find((i) => i.name === a) ?? modelInputs.find((i) => safe(i.name) === a);
    const pos = /^(?:arr|input)_(\d+)$/.exec(a);
    const byPos = pos ? modelInputs[Number(pos[1])] : undefined;
    const target = exact ?? byPos ?? (data.length === 1 && modelInputs.length === 1 ? modelInputs[0] : undefined);
    if (!target) unmatched.push(a);
    else if (byInput.has(target.name)) throw badInput(`${label}: arrays '${byInput.get(target.name)}' and '${a}' both match model input '${target.name}'`);
    else byInput.set(target.name, a);
  }
  const names = modelInputs.map((i) => `'${i.name}'`).join(", ");
  if (unmatched.length > 0) {
    throw badInput(`${label}: ${unmatched.map((u) => `'${u}'`).join(", ")} match no model input (the model's inputs are ${names}; name arrays after them or arr_0, arr_1, … by position)`);
  }
  const missing = modelInputs.filter((i) => !byInput.has(i.name));
  if (missing.length > 0) {
    throw badInput(
      `${label}: no data for model input ${missing.map((m) => `'${m.name}' (${normalizeElemType(m.elemType)} ${formatDims(m.shape)})`).join(", ")}; the model's inputs are ${names}`,
    );
  }
  return byInput;
}

/** The number of samples per batch: the model's fixed batch size when it has one, else the requested size. */
function chooseBatchRows(plans: TInputPlan[], requested: number): number {
  let fixed: number | undefined;
  for (const p of plans) {
    if (p.mode !== "rows") continue;
    const d0 = p.info.shape?.[0];
    if (typeof d0 === "number" && d0 > 0) {
      if (fixed !== undefined && fixed !== d0) throw badInput(`the model's inputs take different fixed batch sizes (${fixed} and ${d0})`);
      fixed = d0;
    }
  }
  return fixed ?? requested;
}

/** A dataset made of columns with the same number of rows (one .npz, or a folder of .npy files). */
type TRowChunk = { label: string; open: () => Promise<{ columns: Map<string, TColumn>; labels?: TColumn }> };

async function validateLabels(labels: TColumn, rows: number, label: string): Promise<void> {
  if (!["int64", "int32", "int8", "uint8", "int16", "uint16", "uint32", "uint64"].includes(labels.dtype)) {
    throw badInput(`${label}: labels must be integer class ids, got dtype ${labels.dtype}`);
  }
  const ok = labels.dims.length === 1 || (labels.dims.length === 2 && labels.dims[1] === 1);
  if (!ok) throw badInput(`${label}: labels must have shape [N] or [N, 1], got ${formatDims(labels.dims)}`);
  if (labels.dims[0] !== rows) throw badInput(`${label}: ${labels.dims[0]} labels for ${rows} samples`);
}

/** Plans a chunk: validates every input and returns per-input plans and the sample count. */
function planChunk(modelInputs: readonly TTensorInfo[], columns: Map<string, TColumn>, label: string): { plans: TInputPlan[]; rows: number } {
  const plans = modelInputs.map((info) => planInput(info, columns.get(info.name)!, label));
  const rowCounts = new Map<number, string[]>();
  for (const p of plans) if (p.mode === "rows") rowCounts.set(p.rows, [...(rowCounts.get(p.rows) ?? []), p.info.name]);
  if (rowCounts.size > 1) {
    const parts = [...rowCounts].map(([n, names]) => `${names.map((x) => `'${x}'`).join(", ")}: ${n}`);
    throw badInput(`${label}: inputs have different numbers of samples along axis 0 (${parts.join("; ")})`);
  }
  const rows = rowCounts.size === 1 ? [...rowCounts.keys()][0] : 1;
  return { plans, rows };
}

function createRowSource(
  chunks: TRowChunk[],
  opts: TOpenDataSourceOptions,
  meta: { description: string; sampleCount?: number; hasLabels: boolean },
): TDataSource {
  const requested = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  return {
    source: "user",
    description: meta.description,
    sampleCount: meta.sampleCount,
    hasLabels: meta.hasLabels,
    batches: (iterOpts = {}) => ({
      async *[Symbol.asyncIterator]() {
        let emitted = 0;
        for (const chunk of chunks) {
          const { columns, labels } = await chunk.open();
          try {
            const { plans, rows } = planChunk(opts.modelInputs, columns, chunk.label);
            if (labels) await validateLabels(labels, rows, chunk.label);
            const batchRows = chooseBatchRows(plans, requested);
            const allConstant = plans.every((p) => p.mode === "constant");
            for (let start = 0; start < rows; start += batchRows) {
              throwIfAborted(iterOpts.signal);
              if (iterOpts.maxBatches !== undefined && emitted >= iterOpts.maxBatches) return;
              const count = allConstant ? 1 : Math.min(batchRows, rows - start);
              const feeds: THostFeeds = {};
              for (const p of plans) {
                const col = columns.get(p.info.name)!;
                feeds[p.info.name] = p.mode === "constant" ? await col.readRows(0, 1 << 30) : await col.readRows(start, count);
              }
              const batch: TDataBatch = { feeds, sampleCount: count };
              if (labels) batch.labels = await labels.readRows(start, count);
              emitted++;
              yield batch;
              if (allConstant) break;
            }
          } finally {
            for (const c of columns.values()) await c.close?.();
            await labels?.close?.();
          }
        }
      },
    }),
  };
}

async function openLabelsFile(labelsPath: string): Promise<TColumn> {
  return columnFromNpy(await openNpyFile(labelsPath, path.basename(labelsPath)));
}

function createNpzChunk(file: string, opts: TOpenDataSourceOptions): TRowChunk {
  const label = path.basename(file);
  return {
    label,
    open: async () => {
      const archive = openNpz(new Uint8Array(await readFile(file)), label);
      const match = matchArraysToInputs(archive.names, opts.modelInputs, label);
      const columns = new Map<string, TColumn>();
      for (const [input, arrayName] of match) columns.set(input, columnFromTensor(archive.readArray(arrayName)));
      let labels: TColumn | undefined;
      if (archive.names.includes("labels")) labels = columnFromTensor(archive.readArray("labels"));
      else if (opts.labelsPath) labels = await openLabelsFile(opts.labelsPath);
      return { columns, labels };
    },
  };
}

function createNpyFolderChunk(dir: string, npyFiles: string[], opts: TOpenDataSourceOptions, label: string): TRowChunk {
  return {
    label,
    open: async () => {
      const names = npyFiles.map((f) => f.slice(0, -4));
      const match = matchArraysToInputs(names, opts.modelInputs, label);
      const columns = new Map<string, TColumn>();
      try {
        for (const [input, arrayName] of match) {
          columns.set(input, columnFromNpy(await openNpyFile(path.join(dir, `${arrayName}.npy`), `${arrayName}.npy`)));
        }
        const labelsFile = names.includes("labels") ? path.join(dir, "labels.npy") : opts.labelsPath;
        return { columns, labels: labelsFile ? await openLabelsFile(labelsFile) : undefined };
      } catch (err) {
        for (const c of columns.values()) await c.close?.();
        throw err;
      }
    },
  };
}

/** Validates one model-zoo feed (a whole batch as stored) against the model's input. */
function checkWholeFeed(info: TTensorInfo, t: THostTensor, label: string): void {
  const expectedType = normalizeElemType(info.elemType);
  if (t.dtype !== expectedType) throw badInput(`input '${info.name}' (${label}): expected dtype ${expectedType}, got ${t.dtype}`);
  const shape = info.shape;
  if (!shape) return;
  const mismatch =
    shape.length !== t.dims.length || shape.some((d, i) => typeof d === "number" && d >= 0 && d !== t.dims[i]);
  if (mismatch) throw badInput(`input '${info.name}' (${label}): expected shape ${formatDims(shape)}, got ${formatDims(t.dims)}`);
}

async function readModelZooSet(dir: string, files: string[], opts: TOpenDataSourceOptions, label: string): Promise<TDataBatch> {
  const inputs = new Map<number, string>();
  const outputs = new Map<number, string>();
  for (const f of files) {
    const m = MODEL_ZOO_FILE.exec(f);
    if (m) (m[1] === "input" ? inputs : outputs).set(Number(m[2]), f);
  }
  const feeds: THostFeeds = {};
  const positional: { name: string; tensor: THostTensor; file: string; index: number }[] = [];
  for (const [index, f] of [...inputs].sort((a, b) => a[0] - b[0])) {
    const { name, tensor } = readTensorProto(new Uint8Array(await readFile(path.join(dir, f))), `${label}/${f}`);
    positional.push({ name, tensor, file: f, index });
  }
  const named = positional.map((p) => ({ ...p, arrayName: opts.modelInputs.some((i) => i.name === p.name) ? p.name : `input_${p.index}` }));
  const match = matchArraysToInputs(named.map((n) => n.arrayName), opts.modelInputs, label);
  for (const [input, arrayName] of match) {
    const p = named.find((n) => n.arrayName === arrayName)!;
    const info = opts.modelInputs.find((i) => i.name === input)!;
    checkWholeFeed(info, p.tensor, `${label}/${p.file}`);
    feeds[input] = p.tensor;
  }
  const batch: TDataBatch = { feeds, sampleCount: 1 };
  if (outputs.size > 0 && opts.modelOutputs) {
    const references: THostFeeds = {};
    for (const [index, f] of outputs) {
      const { name, tensor } = readTensorProto(new Uint8Array(await readFile(path.join(dir, f))), `${label}/${f}`);
      const outName = opts.modelOutputs.some((o) => o.name === name) ? name : opts.modelOutputs[index]?.name;
      if (outName) references[outName] = tensor;
    }
    batch.references = references;
  }
  return batch;
}

function createModelZooSource(sets: { dir: string; files: string[]; label: string }[], opts: TOpenDataSourceOptions, description: string): TDataSource {
  return {
    source: "user",
    description,
    sampleCount: sets.length,
    hasLabels: false,
    batches: (iterOpts = {}) => ({
      async *[Symbol.asyncIterator]() {
        let emitted = 0;
        for (const s of sets) {
          throwIfAborted(iterOpts.signal);
          if (iterOpts.maxBatches !== undefined && emitted >= iterOpts.maxBatches) return;
          emitted++;
          yield await readModelZooSet(s.dir, s.files, opts, s.label);
        }
      },
    }),
  };
}

/** Reads the leading-axis sample count and checks every chunk up front so errors surface before any work. */
async function probeChunks(chunks: TRowChunk[], opts: TOpenDataSourceOptions): Promise<{ samples: number; hasLabels: boolean }> {
  let samples = 0;
  let hasLabels = true;
  for (const chunk of chunks) {
    const { columns, labels } = await chunk.open();
    try {
      const { rows } = planChunk(opts.modelInputs, columns, chunk.label);
      if (labels) await validateLabels(labels, rows, chunk.label);
      else hasLabels = false;
      samples += rows;
    } finally {
      for (const c of columns.values()) await c.close?.();
      await labels?.close?.();
    }
  }
  return { samples, hasLabels };
}

/**
 * Opens calibration/evaluation data at `dataPath` (file or folder) for a model with the given inputs.
 * Everything is validated before returning; batches are read lazily afterwards.
 * Throws AppError("BAD_INPUT") for a missing path, an unknown layout, or data that does not fit the model.
 */
export async function openDataSource(dataPath: string, opts: TOpenDataSourceOptions): Promise<TDataSource> {
  let st;
  try {
    st = await stat(dataPath);
  } catch {
    throw badInput(`data path ${dataPath} does not exist`);
  }
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const base = path.basename(dataPath);
  const describeRows = (what: string, samples: number, hasLabels: boolean) =>
    `user data: ${what} (${samples} sample${samples === 1 ? "" : "s"}, batches of up to ${batchSize}${hasLabels ? ", with labels" : ""})`;

  if (st.isFile()) {
    const ext = path.extname(dataPath).toLowerCase();
    if (ext === ".npz") {
      const chunks = [createNpzChunk(dataPath, opts)];
      const p = await probeChunks(chunks, opts);
      return createRowSource(chunks, opts, { description: describeRows(base, p.samples, p.hasLabels), sampleCount: p.samples, hasLabels: p.hasLabels });
    }
    if (ext === ".npy") {
      if (opts.modelInputs.length !== 1 && !opts.modelInputs.some((i) => i.name === base.slice(0, -4))) {
        throw badInput(
          `${base}: the model has ${opts.modelInputs.length} inputs (${opts.modelInputs.map((i) => `'${i.name}'`).join(", ")}); give a folder with one .npy per input, or a .npz`,
        );
      }
      const chunks = [createNpyFolderChunk(path.dirname(dataPath), [base], opts, base)];
      const p = await probeChunks(chunks, opts);
      return createRowSource(chunks, opts, { description: describeRows(base, p.samples, p.hasLabels), sampleCount: p.samples, hasLabels: p.hasLabels });
    }
    if (ext === ".pb") return createSinglePbSource(dataPath, opts);
    throw badInput(`${base}: unsupported data file type '${ext || "(none)"}' (use .npy, .npz, .pb or a folder)`);
  }

  const entries = (await readdir(dataPath, { withFileTypes: true })).filter((e) => !e.name.startsWith("."));
  const setDirs = entries
    .filter((e) => e.isDirectory() && MODEL_ZOO_SET.test(e.name))
    .sort((a, b) => Number(MODEL_ZOO_SET.exec(a.name)![1]) - Number(MODEL_ZOO_SET.exec(b.name)![1]));
  if (setDirs.length > 0) {
    const sets = await Promise.all(
      setDirs.map(async (d) => ({ dir: path.join(dataPath, d.name), files: await readdir(path.join(dataPath, d.name)), label: d.name })),
    );
    const source = createModelZooSource(sets, opts, `user data: ${setDirs.length} model-zoo test_data_set folders in ${base}`);
    await readModelZooSet(sets[0].dir, sets[0].files, opts, sets[0].label); // validate now, not mid-run
    return source;
  }
  const files = entries.filter((e) => e.isFile()).map((e) => e.name).sort();
  if (files.some((f) => MODEL_ZOO_FILE.test(f) && f.startsWith("input_"))) {
    const sets = [{ dir: dataPath, files, label: base }];
    await readModelZooSet(dataPath, files, opts, base);
    return createModelZooSource(sets, opts, `user data: model-zoo test data set ${base} (1 sample)`);
  }
  const npz = files.filter((f) => f.toLowerCase().endsWith(".npz"));
  const npy = files.filter((f) => f.toLowerCase().endsWith(".npy"));
  if (npz.length > 0 && npy.length === 0) {
    const chunks = npz.map((f) => createNpzChunk(path.join(dataPath, f), opts));
    const p = await probeChunks(chunks, opts);
    return createRowSource(chunks, opts, {
      description: describeRows(`${npz.length} .npz file${npz.length === 1 ? "" : "s"} in ${base}`, p.samples, p.hasLabels),
      sampleCount: p.samples,
      hasLabels: p.hasLabels,
    });
  }
  if (npy.length > 0 && npz.length === 0) {
    const chunks = [createNpyFolderChunk(dataPath, npy, opts, base)];
    const p = await probeChunks(chunks, opts);
    return createRowSource(chunks, opts, {
      description: describeRows(`${npy.length} .npy file${npy.length === 1 ? "" : "s"} in ${base}`, p.samples, p.hasLabels),
      sampleCount: p.samples,
      hasLabels: p.hasLabels,
    });
  }
  throw badInput(
    `${base}: no usable data found (expected .npy files named after the inputs, .npz files, or model-zoo test_data_set_N/input_M.pb folders)`,
  );
}

async function createSinglePbSource(file: string, opts: TOpenDataSourceOptions): Promise<TDataSource> {
  const base = path.basename(file);
  // A lone .pb is input 0 unless its TensorProto name says otherwise; readModelZooSet matches by name first.
  const { name, tensor } = readTensorProto(new Uint8Array(await readFile(file)), base);
  const target = opts.modelInputs.find((i) => i.name === name) ?? (opts.modelInputs.length === 1 ? opts.modelInputs[0] : undefined);
  if (!target) {
    throw badInput(
      `${base}: its tensor name '${name}' matches no model input and the model has ${opts.modelInputs.length} inputs; give a model-zoo folder with input_0.pb, input_1.pb, …`,
    );
  }
  checkWholeFeed(target, tensor, base);
  return {
    source: "user",
    description: `user data: TensorProto file ${base} (1 sample)`,
    sampleCount: 1,
    hasLabels: false,
    batches: () => ({
      async *[Symbol.asyncIterator]() {
        yield { feeds: { [target.name]: readTensorProto(new Uint8Array(await readFile(file)), base).tensor }, sampleCount: 1 };
      },
    }),
  };
}
