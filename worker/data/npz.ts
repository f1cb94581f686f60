import { unzipSync, zipSync } from "fflate";
import { AppError } from "../../contracts/app-error";
import { encodeNpy, parseNpy } from "./npy";
import type { THostTensor } from "./host-tensor";

/**
 * NumPy `.npz` archives (numpy.savez / savez_compressed): a zip of .npy members, stored or deflated.
 * Members are decompressed one at a time when asked for, so only one array is expanded in memory at once.
 */

export type TNpzArchive = {
  /** Array names in archive order, without the `.npy` suffix (e.g. "input", "arr_0", "labels"). */
  names: string[];
  /** Decompresses and parses one member. */
  readArray: (name: string) => THostTensor;
};

/** Opens an in-memory .npz archive. Throws AppError("BAD_INPUT") naming `label` when it is not a valid one. */
export function openNpz(bytes: Uint8Array, label = "the .npz file"): TNpzArchive {
  const names: string[] = [];
  try {
    // A filter that rejects every member lists the archive without decompressing anything.
    unzipSync(bytes, {
      filter: (f) => {
        names.push(f.name);
        return false;
      },
    });
  } catch (err) {
    throw new AppError("BAD_INPUT", {
      userMessage: `${label} is not a valid .npz (zip) archive: ${(err as Error).message}`,
      cause: err,
    });
  }
  const arrays = names.filter((n) => n.endsWith(".npy"));
  const others = names.filter((n) => !n.endsWith(".npy") && !n.endsWith("/"));
  if (others.length > 0 || arrays.length === 0) {
    throw new AppError("BAD_INPUT", {
      userMessage:
        arrays.length === 0
          ? `${label} contains no .npy arrays (save it with numpy.savez)`
          : `${label} contains members that are not .npy arrays: ${others.slice(0, 5).join(", ")}`,
    });
  }
  return {
    names: arrays.map((n) => n.slice(0, -4)),
    readArray: (name) => {
      const member = `${name}.npy`;
      let files: Record<string, Uint8Array>;
      try {
        files = unzipSync(bytes, { filter: (f) => f.name === member });
      } catch (err) {
        throw new AppError("BAD_INPUT", {
          userMessage: `${label}: array '${name}' cannot be decompressed: ${(err as Error).message}`,
          cause: err,
        });
      }
      const data = files[member];
      if (!data) throw new AppError("BAD_INPUT", { userMessage: `${label} has no array named '${name}'` });
      return parseNpy(data, `${label} array '${name}'`);
    },
  };
}

/** Builds a .npz archive (deflated unless `compress` is false). Used by tests and data-export tools. */
export function encodeNpz(arrays: Record<string, THostTensor>, opts: { compress?: boolean } = {}): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, t] of Object.entries(arrays)) files[`${name}.npy`] = encodeNpy(t);
  return zipSync(files, { level: opts.compress === false ? 0 : 6 });
}
