import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { zipSync } from "fflate";
import { afterEach, describe, expect, it } from "vitest";
import { encodeNpy } from "./npy";
import { checkDatasetFitsModel, detectDatasetFileType, extractTar, extractZip, summarizeDataset, type TDatasetSummary } from "./dataset-files";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), "condense-dsf-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** One ustar header + data; `type` "0" file, "2" symlink. */
function tarEntry(name: string, data: Uint8Array, type = "0"): Uint8Array {
  const h = new Uint8Array(512);
  const put = (s: string, at: number) => h.set(new TextEncoder().encode(s), at);
  put(name, 0);
  put("0000644\0", 100);
  put(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
  put(type, 156);
  put("ustar\0", 257);
  const padded = new Uint8Array(512 + Math.ceil(data.length / 512) * 512);
  padded.set(h);
  padded.set(data, 512);
  return padded;
}
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
};
const npy = (dims: number[]) => encodeNpy({ dtype: "float32", dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) });

describe("dataset files", () => {
  it("accepts only data file types", () => {
    expect(["a.npy", "b.NPZ", "c.pb", "d.zip", "e.tar"].map(detectDatasetFileType)).toEqual([".npy", ".npz", ".pb", ".zip", ".tar"]);
    expect(detectDatasetFileType("x.tar.gz")).toBeUndefined();
    expect(detectDatasetFileType("x.onnx")).toBeUndefined();
  });

  it("zip: skips macOS metadata and notes, refuses absolute paths", async () => {
    const dir = await tempDir();
    const n = await extractZip(zipSync({ "d/x.npy": npy([2, 3]), "__MACOSX/d/._x.npy": new Uint8Array(4), "d/README.md": new Uint8Array(1) }), dir, "b.zip");
    expect(n).toBe(1);
    expect(await readdir(path.join(dir, "d"))).toEqual(["x.npy"]);
    await expect(extractZip(zipSync({ "/etc/x.npy": npy([1]) }), await tempDir(), "abs.zip")).rejects.toThrow("abs.zip: entry '/etc/x.npy' points outside the bundle");
  });

  it("tar: unpacks files, refuses links and '..' entries, detects truncation", async () => {
    const base = await tempDir();
    const ok = path.join(base, "ok.tar");
    await writeFile(ok, concat([tarEntry("set/x.npy", npy([4, 2])), tarEntry("set/labels.npy", encodeNpy({ dtype: "int64", dims: [4], data: new BigInt64Array(4) })), new Uint8Array(1024)]));
    const out = await tempDir();
    expect(await extractTar(ok, out, "ok.tar")).toBe(2);
    const summary = await summarizeDataset(path.join(out, "set"), 2, "ok.tar");
    expect(summary).toEqual({ format: "npy-folder", tensors: [{ name: "x", dtype: "float32", shape: [4, 2] }], sampleCount: 4, hasLabels: true, fileCount: 2 });

    const link = path.join(base, "link.tar");
    await writeFile(link, concat([tarEntry("x.npy", new TextEncoder().encode("/etc/passwd"), "2"), new Uint8Array(1024)]));
    await expect(extractTar(link, await tempDir(), "link.tar")).rejects.toThrow("link.tar: entry 'x.npy' is a link; bundles may hold only regular files");
    const dots = path.join(base, "dots.tar");
    await writeFile(dots, concat([tarEntry("a/../../x.npy", npy([1])), new Uint8Array(1024)]));
    await expect(extractTar(dots, await tempDir(), "dots.tar")).rejects.toThrow("points outside the bundle");
    const cut = path.join(base, "cut.tar");
    await writeFile(cut, tarEntry("x.npy", npy([64, 64])).subarray(0, 700));
    await expect(extractTar(cut, await tempDir(), "cut.tar")).rejects.toThrow("cut.tar is truncated");
  });

  it("fit check: names by position, dtype and static dims after the sample axis", () => {
    const summary: TDatasetSummary = { format: "npz", tensors: [{ name: "arr_0", dtype: "float32", shape: [8, 3, 4] }], sampleCount: 8, hasLabels: false, fileCount: 1 };
    expect(() => checkDatasetFitsModel(summary, [{ name: "input", elemType: "float", shape: ["N", 3, 4] }], "d")).not.toThrow();
    expect(() => checkDatasetFitsModel(summary, [{ name: "input", elemType: "int64", shape: ["N", 3, 4] }], "d")).toThrow(
      "d: input 'input' expects dtype int64, the dataset's 'arr_0' is float32",
    );
    expect(() => checkDatasetFitsModel(summary, [{ name: "input", elemType: "float32", shape: [1, 3, 5] }], "d")).toThrow("(axis 2 must be 5)");
    const zoo: TDatasetSummary = { ...summary, format: "model-zoo", tensors: [{ name: "input_0", dtype: "float32", shape: [2, 3, 4] }] };
    expect(() => checkDatasetFitsModel(zoo, [{ name: "input", elemType: "float32", shape: [1, 3, 4] }], "z")).toThrow("(axis 0 must be 1)");
  });
});
