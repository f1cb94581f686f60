/**
 * External data: tensors whose bytes live in side files next to the model (a "bundle" folder), as ONNX stores
 * models over 2 GB. Reading is confined to the bundle folder: absolute paths, `..` segments and symbolic links are
 * refused (ONNX had three CVEs on exactly this), and offsets/lengths are checked against the file.
 */
import { createWriteStream } from "node:fs";
import { lstat, open, realpath, writeFile } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../../contracts/app-error";
import { dtypeByteLength, getDtype, readTensorRawBytes, tensorElementCount } from "./dtypes";
import { forEachTensor } from "./graph";
import { encodeModelParts } from "./model-io";
import { DATA_LOCATION, type TModelProto, type TTensorProto } from "./onnx-proto";

function refuse(userMessage: string): AppError {
  return new AppError("UNPROCESSABLE", { userMessage });
}

function entry(t: TTensorProto, key: string): string | undefined {
  return t.externalData.find((e) => e.key === key)?.value;
}

/**
 * Checks an external-data `location` and returns the absolute path inside `bundleDir`.
 * Refuses absolute paths, drive letters, `..`, empty names and anything that resolves outside the folder or
 * through a symbolic link.
 */
export async function resolveExternalDataPath(bundleDir: string, location: string, tensorName = ""): Promise<string> {
  const label = `tensor "${tensorName}" refers to external data "${location}"`;
  if (location === "" || location.includes("\0")) throw refuse(`${label}: the file name is empty or invalid`);
  if (path.isAbsolute(location) || path.win32.isAbsolute(location) || /^[a-zA-Z]:/.test(location)) {
    throw refuse(`${label}: absolute paths are not allowed; external data must be inside the model's folder`);
  }
  const segments = location.split(/[\\/]+/);
  if (segments.some((s) => s === "..")) {
    throw refuse(`${label}: ".." is not allowed; external data must be inside the model's folder`);
  }
  const root = await realpath(bundleDir);
  let current = root;
  for (const seg of segments) {
    if (seg === "" || seg === ".") continue;
    current = path.join(current, seg);
    const info = await lstat(current).catch(() => undefined);
    if (!info) throw refuse(`${label}: the file is missing from the upload`);
    if (info.isSymbolicLink()) throw refuse(`${label}: symbolic links are not allowed`);
  }
  const resolved = await realpath(current);
  if (resolved !== root && !resolved.startsWith(root + path.sep)) {
    throw refuse(`${label}: it points outside the model's folder`);
  }
  const info = await lstat(resolved);
  if (!info.isFile()) throw refuse(`${label}: it is not a regular file`);
  return resolved;
}

/** Parses offset/length entries (decimal strings) strictly. */
function parseNonNegative(value: string | undefined, what: string, tensorName: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw refuse(`tensor "${tensorName}" has an invalid external data ${what} "${value}"`);
  }
  return Number(value);
}

/**
 * Loads every external tensor of the model from files in `bundleDir` into `rawData`
 * (data_location becomes DEFAULT, external_data entries are cleared). Returns the number of tensors loaded.
 */
export async function loadExternalData(model: TModelProto, bundleDir: string): Promise<number> {
  const pending: TTensorProto[] = [];
  forEachTensor(model, (t) => {
    if (t.dataLocation === DATA_LOCATION.EXTERNAL) pending.push(t);
  });
  const handles = new Map<string, Awaited<ReturnType<typeof open>>>();
  try {
    for (const t of pending) {
      const name = t.name ?? "";
      const location = entry(t, "location");
      if (location === undefined) throw refuse(`tensor "${name}" is marked external but has no location`);
      const file = await resolveExternalDataPath(bundleDir, location, name);
      let fh = handles.get(file);
      if (!fh) {
        fh = await open(file, "r");
        handles.set(file, fh);
      }
      const size = (await fh.stat()).size;
      const offset = parseNonNegative(entry(t, "offset"), "offset", name) ?? 0;
      const expected = dtypeByteLength(getDtype(t.dataType).id, tensorElementCount(t));
      const length = parseNonNegative(entry(t, "length"), "length", name) ?? expected;
      if (length !== expected) {
        throw refuse(`tensor "${name}" declares ${length} bytes of external data but its shape needs ${expected}`);
      }
      if (offset + length > size) {
        throw refuse(`tensor "${name}" reads bytes ${offset}..${offset + length} of "${location}", which has only ${size} bytes`);
      }
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      t.rawData = buf;
      t.dataLocation = undefined;
      t.externalData = [];
    }
  } finally {
    for (const fh of handles.values()) await fh.close();
  }
  return pending.length;
}

/**
 * Saves a model as `<dir>/<modelFileName>` with tensors of at least `thresholdBytes` in one side file
 * `<dir>/<dataFileName>` (offsets aligned to 4 KiB so the runtime can mmap them). The in-memory model is left as it
 * was. Use it for models over protobuf's 2 GB limit.
 */
export async function saveModelWithExternalData(
  model: TModelProto,
  dir: string,
  opts: { modelFileName: string; dataFileName?: string; thresholdBytes?: number; alignBytes?: number },
): Promise<{ modelPath: string; dataPath: string; externalTensors: number; dataBytes: number }> {
  const dataFileName = opts.dataFileName ?? `${opts.modelFileName}.data`;
  if (dataFileName.includes("/") || dataFileName.includes("\\") || dataFileName.startsWith(".")) {
    throw new Error(`dataFileName must be a plain file name, got ${dataFileName}`);
  }
  const threshold = opts.thresholdBytes ?? 1024;
  const align = opts.alignBytes ?? 4096;
  const dataPath = path.join(dir, dataFileName);
  const modelPath = path.join(dir, opts.modelFileName);
  // Tensors are rewritten to point at the side file while encoding, then restored from these snapshots.
  const moved: [TTensorProto, TTensorProto][] = [];
  const out = createWriteStream(dataPath);
  let offset = 0;
  const write = (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) => out.write(bytes, (err) => (err ? reject(err) : resolve())));
  const tensors: TTensorProto[] = [];
  forEachTensor(model, (t) => {
    if (t.dataLocation !== DATA_LOCATION.EXTERNAL && getDtype(t.dataType).bits > 0) tensors.push(t);
  });
  try {
    for (const t of tensors) {
      // Normalise every storage field to raw bytes first (float_data, int32_data, ...).
      const raw = readTensorRawBytes(t);
      if (raw.length < threshold) continue;
      const pad = (align - (offset % align)) % align;
      if (pad) await write(new Uint8Array(pad));
      offset += pad;
      await write(raw);
      moved.push([t, { ...t }]);
      t.floatData = undefined;
      t.int32Data = undefined;
      t.int64Data = undefined;
      t.doubleData = undefined;
      t.uint64Data = undefined;
      t.rawData = undefined;
      t.dataLocation = DATA_LOCATION.EXTERNAL;
      t.externalData = [
        { key: "location", value: dataFileName },
        { key: "offset", value: String(offset) },
        { key: "length", value: String(raw.length) },
      ];
      offset += raw.length;
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const parts = encodeModelParts(model);
    await writeFile(modelPath, parts);
  } finally {
    if (!out.closed) out.destroy();
    // Restore the in-memory model exactly as it was.
    for (const [t, snapshot] of moved) {
      for (const k of Object.keys(t)) delete (t as Record<string, unknown>)[k];
      Object.assign(t, snapshot);
    }
  }
  return { modelPath, dataPath, externalTensors: moved.length, dataBytes: offset };
}
