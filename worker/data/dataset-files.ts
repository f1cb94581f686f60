import { createWriteStream } from "node:fs";
import { mkdir, open, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { unzipSync } from "fflate";
import { z } from "zod";
import { AppError } from "../../contracts/app-error";
import type { TTensorInfo } from "../../contracts/report";
import { matchArraysToInputs } from "./data-source";
import { formatDims } from "./host-tensor";
import { openNpyFile } from "./npy";
import { openNpz } from "./npz";
import { readTensorProto } from "./tensor-proto-file";
import { getObjectStream, type TObjectStore } from "../../server/storage/object-store";

/**
 * Calibration / evaluation datasets as files: which uploads are accepted, how bundles are unpacked (defensively:
 * size and entry caps, no path escapes, no links), and the model-independent summary stored at validation.
 * Shared by the API (validation on completeUpload, fit checks on jobs.create) and the worker (which unpacks the
 * dataset next to the job and hands the folder to worker/data's openDataSource).
 */

/** File types a dataset upload may have; bundles hold the first three. */
export const DATASET_FILE_TYPES = [".npy", ".npz", ".pb", ".zip", ".tar"] as const;
export type TDatasetFileType = (typeof DATASET_FILE_TYPES)[number];
/** Largest dataset upload: data is validated and read in memory-sized pieces, so it stays far below model sizes. */
export const MAX_DATASET_BYTES = 2 * 1024 ** 3;
/** Bundles: at most this many entries and this many bytes once unpacked (zip bombs). */
export const MAX_BUNDLE_ENTRIES = 10_000;
export const MAX_UNPACKED_BYTES = 4 * 1024 ** 3;
/** Text files people put next to their data (README, notes): skipped, not refused. */
const SKIPPED_EXTENSIONS = new Set([".txt", ".md", ".json", ".csv", ".yaml", ".yml"]);
const DATA_EXTENSIONS = new Set([".npy", ".npz", ".pb"]);
const MODEL_ZOO_SET = /^test_data_set_(\d+)$/;
const MODEL_ZOO_INPUT = /^input_(\d+)\.pb$/;

/** One tensor of a dataset as validation saw it (axis 0 = samples, except model-zoo sets which hold one sample). */
export const ZDatasetTensor = z.object({ name: z.string(), dtype: z.string(), shape: z.array(z.number()) });
export type TDatasetTensor = z.infer<typeof ZDatasetTensor>;

/** What completeUpload found in a dataset; stored as Dataset.summary. */
export const ZDatasetSummary = z.object({
  /** npy / npz / pb: one file; npy-folder, npz-folder, model-zoo: a bundle. */
  format: z.enum(["npy", "npz", "pb", "npy-folder", "npz-folder", "model-zoo"]),
  /** The model inputs the data feeds (labels excluded). Model-zoo: the tensors of the first set. */
  tensors: z.array(ZDatasetTensor),
  sampleCount: z.number(),
  /** True when labels (integer class ids) come with the data, so accuracy can be measured. */
  hasLabels: z.boolean(),
  /** Data files in the upload (1 for a single file). */
  fileCount: z.number(),
});
export type TDatasetSummary = z.infer<typeof ZDatasetSummary>;

function badData(userMessage: string): AppError {
  return new AppError("BAD_INPUT", { userMessage });
}

/** The dataset file type of an upload name (".npz", ...), or undefined when it is not one we accept. */
export function detectDatasetFileType(name: string): TDatasetFileType | undefined {
  const ext = path.extname(name).toLowerCase();
  return (DATASET_FILE_TYPES as readonly string[]).includes(ext) ? (ext as TDatasetFileType) : undefined;
}

/** A file name that is one safe path segment, keeping the extension (which decides how the data is read). */
export function toSafeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const safe = base.replace(/[^\w.\-]/g, "_").replace(/^\.+/, "_").slice(-120);
  return safe.length > 0 ? safe : "data";
}

/**
 * A bundle member's path made safe, or undefined for entries to skip (folders, macOS metadata, hidden files).
 * Absolute paths, drive letters and `..` segments are refused: a bundle must never write outside its folder.
 */
function checkMemberPath(rawName: string, bundle: string): string | undefined {
  const name = rawName.replace(/\\/g, "/");
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name) || name.split("/").includes("..")) {
    throw badData(`${bundle}: entry '${rawName}' points outside the bundle (absolute path or '..'); re-create the archive with relative paths`);
  }
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length === 0 || name.endsWith("/")) return undefined;
  if (parts.includes("__MACOSX") || parts.some((p) => p.startsWith("."))) return undefined;
  const ext = path.extname(parts.at(-1)!).toLowerCase();
  if (SKIPPED_EXTENSIONS.has(ext)) return undefined;
  if (!DATA_EXTENSIONS.has(ext)) {
    throw badData(`${bundle}: entry '${rawName}' is not a .npy, .npz or .pb file (bundles hold only data files)`);
  }
  return parts.join("/");
}

/** Unpacks a .zip bundle into `destDir`; returns the number of data files written. */
export async function extractZip(bytes: Uint8Array, destDir: string, bundle: string): Promise<number> {
  let entries = 0;
  let unpacked = 0;
  const wanted = new Map<string, string>();
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (++entries > MAX_BUNDLE_ENTRIES) throw badData(`${bundle}: more than ${MAX_BUNDLE_ENTRIES} entries`);
        const safe = checkMemberPath(f.name, bundle);
        if (!safe) return false;
        unpacked += f.originalSize;
        if (unpacked > MAX_UNPACKED_BYTES) throw badData(`${bundle}: unpacks to more than ${MAX_UNPACKED_BYTES / 1024 ** 3} GiB`);
        wanted.set(f.name, safe);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("BAD_INPUT", { userMessage: `${bundle} is not a valid .zip archive: ${(err as Error).message}`, cause: err });
  }
  for (const [name, data] of Object.entries(files)) {
    const target = path.join(destDir, wanted.get(name)!);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data);
  }
  return Object.keys(files).length;
}

function readTarString(block: Uint8Array, offset: number, length: number): string {
  const slice = block.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return new TextDecoder().decode(end === -1 ? slice : slice.subarray(0, end));
}

function readTarSize(block: Uint8Array, bundle: string): number {
  // Sizes over 8 GiB use GNU base-256; a dataset member never needs that.
  if (block[124] & 0x80) throw badData(`${bundle}: a member is larger than a dataset bundle may hold`);
  const text = readTarString(block, 124, 12).trim();
  const size = text === "" ? 0 : parseInt(text, 8);
  if (!Number.isSafeInteger(size) || size < 0) throw badData(`${bundle} is not a valid .tar archive (bad size field)`);
  return size;
}

/**
 * Unpacks a .tar bundle (ustar, GNU long names, pax `path`) into `destDir`, reading the file in 512-byte blocks.
 * Only regular files and folders are accepted: links are refused, since they could point anywhere.
 */
export async function extractTar(file: string, destDir: string, bundle: string): Promise<number> {
  const handle = await open(file, "r");
  try {
    const { size: fileSize } = await handle.stat();
    const header = new Uint8Array(512);
    let offset = 0;
    let entries = 0;
    let written = 0;
    let unpacked = 0;
    let longName: string | undefined;
    const readExact = async (buf: Uint8Array, at: number) => {
      const { bytesRead } = await handle.read(buf, 0, buf.length, at);
      if (bytesRead !== buf.length) throw badData(`${bundle} is truncated (a .tar member ends early)`);
    };
    while (offset + 512 <= fileSize) {
      await readExact(header, offset);
      if (header.every((b) => b === 0)) break; // end-of-archive marker
      const magic = readTarString(header, 257, 6);
      if (!magic.startsWith("ustar") && offset === 0) throw badData(`${bundle} is not a .tar archive (no ustar header)`);
      if (++entries > MAX_BUNDLE_ENTRIES) throw badData(`${bundle}: more than ${MAX_BUNDLE_ENTRIES} entries`);
      const size = readTarSize(header, bundle);
      const type = String.fromCharCode(header[156] || 48);
      const dataAt = offset + 512;
      const next = dataAt + Math.ceil(size / 512) * 512;
      if (dataAt + size > fileSize) throw badData(`${bundle} is truncated (a .tar member ends early)`);
      if (type === "L" || type === "x") {
        if (size > 1 << 20) throw badData(`${bundle}: an extended header is too large`);
        const meta = new Uint8Array(size);
        await readExact(meta, dataAt);
        const text = new TextDecoder().decode(meta);
        longName = type === "L" ? text.replace(/\0+$/, "") : /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text)?.[1] ?? longName;
        offset = next;
        continue;
      }
      const prefix = readTarString(header, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${readTarString(header, 0, 100)}` : readTarString(header, 0, 100));
      longName = undefined;
      offset = next;
      if (type === "g" || type === "5") continue; // global pax header, folder
      if (type === "1" || type === "2") throw badData(`${bundle}: entry '${name}' is a link; bundles may hold only regular files`);
      if (type !== "0" && type !== "7") throw badData(`${bundle}: entry '${name}' is not a regular file (tar type '${type}')`);
      const safe = checkMemberPath(name, bundle);
      if (!safe) continue;
      unpacked += size;
      if (unpacked > MAX_UNPACKED_BYTES) throw badData(`${bundle}: unpacks to more than ${MAX_UNPACKED_BYTES / 1024 ** 3} GiB`);
      const target = path.join(destDir, safe);
      await mkdir(path.dirname(target), { recursive: true });
      const data = new Uint8Array(size);
      if (size > 0) await readExact(data, dataAt);
      await writeFile(target, data);
      written++;
    }
    return written;
  } finally {
    await handle.close();
  }
}

/**
 * Downloads a dataset into `workDir` and returns the path to hand to openDataSource / summarizeDataset: the file
 * itself, or the folder a bundle unpacked to (descending into a lone top-level folder, as zips of a folder have).
 */
export async function materializeDataset(
  store: TObjectStore,
  dataset: { name: string; storageKey: string },
  workDir: string,
): Promise<{ dataPath: string; fileCount: number }> {
  const fileName = toSafeFileName(dataset.name);
  const type = detectDatasetFileType(fileName);
  if (!type) throw badData(`${dataset.name}: unsupported dataset file type (use ${DATASET_FILE_TYPES.join(", ")})`);
  await mkdir(workDir, { recursive: true });
  const file = path.join(workDir, fileName);
  await pipeline(await getObjectStream(store, dataset.storageKey), createWriteStream(file));
  if (type !== ".zip" && type !== ".tar") return { dataPath: file, fileCount: 1 };
  const dataDir = path.join(workDir, "data");
  await mkdir(dataDir, { recursive: true });
  const fileCount = type === ".zip" ? await extractZip(new Uint8Array(await readFile(file)), dataDir, dataset.name) : await extractTar(file, dataDir, dataset.name);
  if (fileCount === 0) throw badData(`${dataset.name} holds no .npy, .npz or .pb files`);
  let root = dataDir;
  for (;;) {
    // A scratch folder chosen at run time: nothing for the web app's file tracing to include.
    const entries = (await readdir(/*turbopackIgnore: true*/ root, { withFileTypes: true })).filter((e) => !e.name.startsWith("."));
    if (entries.length === 1 && entries[0].isDirectory() && !MODEL_ZOO_SET.test(entries[0].name)) root = path.join(root, entries[0].name);
    else break;
  }
  return { dataPath: root, fileCount };
}

async function summarizeNpyFiles(files: string[], dir: string): Promise<{ tensors: TDatasetTensor[]; hasLabels: boolean; sampleCount: number }> {
  const tensors: TDatasetTensor[] = [];
  let hasLabels = false;
  for (const f of files) {
    const npy = await openNpyFile(path.join(dir, f), f);
    await npy.close();
    const name = f.slice(0, -4);
    if (name === "labels") hasLabels = true;
    else tensors.push({ name, dtype: npy.header.dtype, shape: npy.header.dims });
  }
  return { tensors, hasLabels, sampleCount: sampleCountOf(tensors) };
}

function summarizeNpzBytes(bytes: Uint8Array, label: string): { tensors: TDatasetTensor[]; hasLabels: boolean } {
  const archive = openNpz(bytes, label);
  const tensors: TDatasetTensor[] = [];
  for (const name of archive.names) {
    if (name === "labels") continue;
    const t = archive.readArray(name);
    tensors.push({ name, dtype: t.dtype, shape: t.dims });
  }
  return { tensors, hasLabels: archive.names.includes("labels") };
}

function sampleCountOf(tensors: TDatasetTensor[]): number {
  return tensors.reduce((n, t) => Math.max(n, t.shape.length > 0 ? t.shape[0] : 1), 0);
}

async function summarizeModelZooSet(dir: string, label: string): Promise<TDatasetTensor[]> {
  const files = (await readdir(dir)).filter((f) => MODEL_ZOO_INPUT.test(f)).sort((a, b) => Number(MODEL_ZOO_INPUT.exec(a)![1]) - Number(MODEL_ZOO_INPUT.exec(b)![1]));
  if (files.length === 0) throw badData(`${label}: no input_N.pb files`);
  const tensors: TDatasetTensor[] = [];
  for (const f of files) {
    const { name, tensor } = readTensorProto(new Uint8Array(await readFile(path.join(dir, f))), `${label}/${f}`);
    tensors.push({ name: name || f.slice(0, -3), dtype: tensor.dtype, shape: tensor.dims });
  }
  return tensors;
}

/**
 * Reads a materialized dataset (file or folder) without any model and summarizes it: layout, tensors with dtype
 * and shape, sample count, labels. Every data file is parsed, so a corrupt file fails here and not mid-job.
 */
export async function summarizeDataset(dataPath: string, fileCount: number, label: string): Promise<TDatasetSummary> {
  const ext = path.extname(dataPath).toLowerCase();
  if (ext === ".npy") {
    const s = await summarizeNpyFiles([path.basename(dataPath)], path.dirname(dataPath));
    return { format: "npy", ...s, fileCount };
  }
  if (ext === ".npz") {
    const s = summarizeNpzBytes(new Uint8Array(await readFile(dataPath)), label);
    return { format: "npz", ...s, sampleCount: sampleCountOf(s.tensors), fileCount };
  }
  if (ext === ".pb") {
    const { name, tensor } = readTensorProto(new Uint8Array(await readFile(dataPath)), label);
    return { format: "pb", tensors: [{ name: name || "input_0", dtype: tensor.dtype, shape: tensor.dims }], sampleCount: 1, hasLabels: false, fileCount };
  }
  const entries = (await readdir(dataPath, { withFileTypes: true })).filter((e) => !e.name.startsWith("."));
  const sets = entries.filter((e) => e.isDirectory() && MODEL_ZOO_SET.test(e.name)).map((e) => e.name);
  const files = entries.filter((e) => e.isFile()).map((e) => e.name).sort();
  if (sets.length > 0 || files.some((f) => MODEL_ZOO_INPUT.test(f))) {
    const setDirs = sets.length > 0 ? sets.sort((a, b) => Number(MODEL_ZOO_SET.exec(a)![1]) - Number(MODEL_ZOO_SET.exec(b)![1])) : ["."];
    const first = await summarizeModelZooSet(path.join(dataPath, setDirs[0]), `${label}/${setDirs[0]}`);
    for (const s of setDirs.slice(1)) {
      const other = await summarizeModelZooSet(path.join(dataPath, s), `${label}/${s}`);
      const a = first.map((t) => `${t.name}:${t.dtype}`).join(",");
      if (other.map((t) => `${t.name}:${t.dtype}`).join(",") !== a) {
        throw badData(`${label}: ${s} holds different tensors than ${setDirs[0]} (${other.map((t) => t.name).join(", ")} vs ${first.map((t) => t.name).join(", ")})`);
      }
    }
    return { format: "model-zoo", tensors: first, sampleCount: setDirs.length, hasLabels: false, fileCount };
  }
  const npz = files.filter((f) => f.toLowerCase().endsWith(".npz"));
  const npy = files.filter((f) => f.toLowerCase().endsWith(".npy"));
  if (npz.length > 0 && npy.length === 0) {
    let tensors: TDatasetTensor[] | undefined;
    let samples = 0;
    let hasLabels = true;
    for (const f of npz) {
      const s = summarizeNpzBytes(new Uint8Array(await readFile(path.join(dataPath, f))), `${label}/${f}`);
      const key = (ts: TDatasetTensor[]) => ts.map((t) => `${t.name}:${t.dtype}:${t.shape.slice(1).join("x")}`).sort().join(",");
      if (tensors && key(tensors) !== key(s.tensors)) throw badData(`${label}: ${f} holds different arrays than ${npz[0]}; every .npz of a bundle must have the same arrays`);
      tensors ??= s.tensors;
      samples += sampleCountOf(s.tensors);
      hasLabels &&= s.hasLabels;
    }
    return { format: "npz-folder", tensors: tensors!, sampleCount: samples, hasLabels, fileCount };
  }
  if (npy.length > 0 && npz.length === 0) {
    const s = await summarizeNpyFiles(npy, dataPath);
    return { format: "npy-folder", ...s, fileCount };
  }
  throw badData(
    `${label}: no usable data layout (expected .npy files named after the inputs, .npz files, or model-zoo test_data_set_N/input_M.pb folders, not a mix)`,
  );
}

const ELEM_ALIASES: Readonly<Record<string, string>> = { float: "float32", double: "float64", half: "float16" };
const normalizeElemType = (t: string) => ELEM_ALIASES[t.toLowerCase()] ?? t.toLowerCase();

/**
 * Checks, from the stored summary alone, that a dataset can feed a model: every input has data (by name, file-safe
 * name or position), dtypes agree, ranks agree and static dims after the sample axis agree (model-zoo and .pb data
 * are whole feeds: every static dim must agree). Throws BAD_INPUT naming the dataset, the input, expected and got.
 */
export function checkDatasetFitsModel(summary: TDatasetSummary, modelInputs: readonly TTensorInfo[], label: string): void {
  const names = summary.tensors.map((t) => t.name);
  const arrayNames =
    summary.format === "model-zoo" || summary.format === "pb"
      ? summary.tensors.map((t, i) => (modelInputs.some((m) => m.name === t.name) ? t.name : `input_${i}`))
      : names;
  const match = matchArraysToInputs(arrayNames, modelInputs, label);
  const wholeFeed = summary.format === "model-zoo" || summary.format === "pb";
  for (const [inputName, arrayName] of match) {
    const info = modelInputs.find((m) => m.name === inputName)!;
    const tensor = summary.tensors[arrayNames.indexOf(arrayName)]!;
    const expected = normalizeElemType(info.elemType);
    if (tensor.dtype !== expected) {
      throw badData(`${label}: input '${inputName}' expects dtype ${expected}, the dataset's '${tensor.name}' is ${tensor.dtype}`);
    }
    const shape = info.shape;
    if (!shape) continue;
    if (tensor.shape.length !== shape.length) {
      throw badData(`${label}: input '${inputName}' expects shape ${formatDims(shape)} (rank ${shape.length}), the dataset's '${tensor.name}' has shape ${formatDims(tensor.shape)}`);
    }
    for (let i = wholeFeed ? 0 : 1; i < shape.length; i++) {
      const d = shape[i];
      if (typeof d === "number" && d >= 0 && d !== tensor.shape[i]) {
        throw badData(`${label}: input '${inputName}' expects shape ${formatDims(shape)}, the dataset's '${tensor.name}' has ${formatDims(tensor.shape)} (axis ${i} must be ${d})`);
      }
    }
  }
}
