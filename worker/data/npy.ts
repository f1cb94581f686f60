import { open } from "node:fs/promises";
import { AppError } from "../../contracts/app-error";
import {
  HOST_DTYPE_BYTES,
  countElements,
  createTypedArrayFromBytes,
  type THostDtype,
  type THostTensor,
} from "./host-tensor";

/**
 * NumPy `.npy` files (format versions 1, 2 and 3). Only C-ordered arrays of plain numeric/bool dtypes are
 * accepted; Fortran order, object and structured arrays are refused with a message saying how to re-save.
 */

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** Header text longer than this is not a real numpy header (numpy itself caps v1 headers at 64 KiB). */
const MAX_HEADER_BYTES = 1 << 20;

/** numpy kind+size -> host dtype. Byte order is handled separately. */
const NPY_DTYPES: ReadonlyMap<string, THostDtype> = new Map([
  ["f4", "float32"],
  ["f2", "float16"],
  ["f8", "float64"],
  ["i1", "int8"],
  ["u1", "uint8"],
  ["i2", "int16"],
  ["u2", "uint16"],
  ["i4", "int32"],
  ["u4", "uint32"],
  ["i8", "int64"],
  ["u8", "uint64"],
  ["b1", "bool"],
]);

export type TNpyHeader = {
  dtype: THostDtype;
  dims: number[];
  /** True when the file stores big-endian elements (they are byte-swapped on read). */
  bigEndian: boolean;
  /** Offset of the first data byte. */
  dataOffset: number;
  /** Format major version (1, 2 or 3). */
  version: number;
};

function badNpy(label: string, why: string): AppError {
  return new AppError("BAD_INPUT", { userMessage: `${label} is not a usable .npy file: ${why}` });
}

/**
 * Parses the header of a .npy file from its first bytes (at least the whole header must be present).
 * Throws AppError("BAD_INPUT") naming `label` for anything that is not a plain C-ordered numeric array.
 */
export function parseNpyHeader(bytes: Uint8Array, label = "the data file"): TNpyHeader {
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw badNpy(label, "it does not start with the NumPy magic bytes (save it with numpy.save)");
  }
  const major = bytes[6];
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw badNpy(label, "the header is truncated");
    headerLen = (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16)) + bytes[11] * 2 ** 24;
    headerStart = 12;
  } else {
    throw badNpy(label, `format version ${major} is not supported (1, 2 and 3 are)`);
  }
  if (headerLen > MAX_HEADER_BYTES) throw badNpy(label, `the header claims ${headerLen} bytes`);
  if (bytes.length < headerStart + headerLen) throw badNpy(label, "the header is truncated");
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(headerStart, headerStart + headerLen));

  const descrMatch = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(header);
  if (!descrMatch) {
    if (/['"]descr['"]\s*:\s*\[/.test(header)) throw badNpy(label, "structured (record) arrays are not supported; save one plain array per input");
    throw badNpy(label, "the header has no 'descr'");
  }
  const descr = descrMatch[2];
  const fortranMatch = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  if (!fortranMatch) throw badNpy(label, "the header has no 'fortran_order'");
  if (fortranMatch[1] === "True") {
    throw badNpy(label, "it is stored in Fortran order; save a C-ordered array (numpy.ascontiguousarray(x))");
  }
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shapeMatch) throw badNpy(label, "the header has no 'shape'");
  const dims = shapeMatch[1]
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ""));
      if (!Number.isSafeInteger(n) || n < 0) throw badNpy(label, `invalid dimension '${s}' in the shape`);
      return n;
    });

  const order = descr[0];
  const code = descr.slice(1);
  if (code.startsWith("O")) throw badNpy(label, "it holds Python objects (dtype=object); save a numeric array");
  const dtype = NPY_DTYPES.get(code);
  if (!dtype || !["<", ">", "|", "="].includes(order)) {
    throw badNpy(label, `dtype '${descr}' is not supported (use float32, float16, float64, int8, uint8, int32, int64 or bool)`);
  }
  const bigEndian = order === ">" && HOST_DTYPE_BYTES[dtype] > 1;
  return { dtype, dims, bigEndian, dataOffset: headerStart + headerLen, version: major };
}

function swapBytesInPlace(bytes: Uint8Array, width: number): void {
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

function toTensor(h: TNpyHeader, dims: number[], dataBytes: Uint8Array): THostTensor {
  let bytes = dataBytes;
  if (h.bigEndian) {
    bytes = dataBytes.slice();
    swapBytesInPlace(bytes, HOST_DTYPE_BYTES[h.dtype]);
  }
  return { dtype: h.dtype, dims, data: createTypedArrayFromBytes(h.dtype, bytes) };
}

/** Parses a whole in-memory .npy file into a tensor (data copied, so `bytes` may be dropped). */
export function parseNpy(bytes: Uint8Array, label = "the data file"): THostTensor {
  const h = parseNpyHeader(bytes, label);
  const dataBytes = countElements(h.dims) * HOST_DTYPE_BYTES[h.dtype];
  const available = bytes.length - h.dataOffset;
  if (available < dataBytes) {
    throw badNpy(label, `the data is truncated: shape (${h.dims.join(", ")}) needs ${dataBytes} bytes, the file has ${available}`);
  }
  return toTensor(h, h.dims, bytes.subarray(h.dataOffset, h.dataOffset + dataBytes));
}

/** A .npy file opened for reading rows along axis 0 on demand, so datasets larger than memory can be streamed. */
export type TNpyFile = {
  header: TNpyHeader;
  /** Rows [start, start+count) along axis 0 (for a 0-d array: the scalar, ignoring start/count). */
  readRows: (start: number, count: number) => Promise<THostTensor>;
  close: () => Promise<void>;
};

/** Opens a .npy file lazily: only the header is read now; rows are read when asked for. */
export async function openNpyFile(path: string, label = path): Promise<TNpyFile> {
  const fh = await open(path, "r");
  try {
    const size = (await fh.stat()).size;
    const head = new Uint8Array(Math.min(size, 4096));
    await fh.read(head, 0, head.length, 0);
    let header: TNpyHeader;
    try {
      header = parseNpyHeader(head, label);
    } catch (err) {
      // The header may be longer than the first 4 KiB (v2/v3 with a long shape): read exactly what it claims.
      if (size <= head.length) throw err;
      const full = new Uint8Array(Math.min(size, MAX_HEADER_BYTES + 12));
      await fh.read(full, 0, full.length, 0);
      header = parseNpyHeader(full, label);
    }
    const itemBytes = HOST_DTYPE_BYTES[header.dtype];
    const totalBytes = countElements(header.dims) * itemBytes;
    if (size - header.dataOffset < totalBytes) {
      throw badNpy(label, `the data is truncated: shape (${header.dims.join(", ")}) needs ${totalBytes} bytes, the file has ${size - header.dataOffset}`);
    }
    const rowBytes = countElements(header.dims.slice(1)) * itemBytes;
    return {
      header,
      readRows: async (start, count) => {
        if (header.dims.length === 0) {
          const b = new Uint8Array(itemBytes);
          await fh.read(b, 0, itemBytes, header.dataOffset);
          return toTensor(header, [], b);
        }
        const rows = Math.max(0, Math.min(count, header.dims[0] - start));
        const b = new Uint8Array(rows * rowBytes);
        if (b.length > 0) await fh.read(b, 0, b.length, header.dataOffset + start * rowBytes);
        return toTensor(header, [rows, ...header.dims.slice(1)], b);
      },
      close: () => fh.close(),
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/**
 * Serialises a tensor as a version-1 .npy file (little-endian, C order). Used by tests and by tools that export data.
 */
export function encodeNpy(t: THostTensor, opts: { version?: 1 | 2 | 3 } = {}): Uint8Array {
  const descr: Record<THostDtype, string> = {
    float32: "<f4",
    float16: "<f2",
    float64: "<f8",
    int8: "|i1",
    uint8: "|u1",
    int16: "<i2",
    uint16: "<u2",
    int32: "<i4",
    uint32: "<u4",
    int64: "<i8",
    uint64: "<u8",
    bool: "|b1",
  };
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(", ")})`;
  const version = opts.version ?? 1;
  const prefix = version === 1 ? 10 : 12;
  let header = `{'descr': '${descr[t.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // numpy pads the header with spaces so the data starts on a 64-byte boundary, ending with a newline.
  const padded = Math.ceil((prefix + header.length + 1) / 64) * 64;
  header = header + " ".repeat(padded - prefix - header.length - 1) + "\n";
  const out = new Uint8Array(padded + t.data.byteLength);
  out.set(NPY_MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const hl = header.length;
  if (version === 1) {
    out[8] = hl & 0xff;
    out[9] = hl >> 8;
  } else {
    out[8] = hl & 0xff;
    out[9] = (hl >> 8) & 0xff;
    out[10] = (hl >> 16) & 0xff;
    out[11] = (hl >> 24) & 0xff;
  }
  out.set(new TextEncoder().encode(header), prefix);
  out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), padded);
  return out;
}
