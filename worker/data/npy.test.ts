import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeNpy, openNpyFile, parseNpy, parseNpyHeader } from "./npy";
import { encodeNpz, openNpz } from "./npz";
import { decodeFloat16, readAsFloat64 } from "./host-tensor";

// Bytes written by numpy 2.4 (np.lib.format.write_array / np.savez / np.savez_compressed), base64.
const NUMPY = {
  f32_v1:
    "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAPwAAgD8AAMA/AAAAQAAAIEA=",
  f32_v2:
    "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAPwAAgD8AAMA/AAAAQAAAIEA=",
  f32_v3:
    "k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAPwAAgD8AAMA/AAAAQAAAIEA=",
  f32_be: "k05VTVBZAQA6AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfQq/wAAAvwAAAD8AAAA/wAAA",
  i64: "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr9/////////wAAAAAAAAAAAAAAAAABAAA=",
  bool: "k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAB",
  f16: "k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPADB/3sBAA==",
  i8: "k05VTVBZAQB2AHsnZGVzY3InOiAnfGkxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqAfwA=",
  u8_scalar:
    "k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoH",
  fortran:
    "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQAAAgD8AAIBAAAAAQAAAoEA=",
  object:
    "k05VTVBZAQB2AHsnZGVzY3InOiAnfE8nLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqABJWQAAAAAAAAAIwWbnVtcHkuX2NvcmUubXVsdGlhcnJheZSMDF9yZWNvbnN0cnVjdJSTlIwFbnVtcHmUjAduZGFycmF5lJOUSwCFlEMBYpSHlFKUKEsBSwKFlGgDjAVkdHlwZZSTlIwCTziUiYiHlFKUKEsDjAF8lE5OTkr/////Sv////9LP3SUYoldlChLAYwBYZRldJRiLg==",
  npz_deflated:
    "UEsDBC0AAAAIAAAAIQCR9Ofb//////////8JABQAaW5wdXQubnB5AQAQAJAAAAAAAAAAUAAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuk2airqOgnpZfVFKUmBefX5SSChJ3S8wpTgWKF2ckFqQC+RpGOgpGmjoKtQpkAy4GMGiwBxIOQOQAAFBLAwQtAAAACAAAACEAcfs5q///////////CgAUAGxhYmVscy5ucHkBABAAkAAAAAAAAABIAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TaaGuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6mjoKtQoUAC5GBlQAAFBLAQItAy0AAAAIAAAAIQCR9OfbUAAAAJAAAAAJAAAAAAAAAAAAAACAAQAAAABpbnB1dC5ucHlQSwECLQMtAAAACAAAACEAcfs5q0gAAACQAAAACgAAAAAAAAAAAAAAgAGLAAAAbGFiZWxzLm5weVBLBQYAAAAAAgACAG8AAAAPAQAAAAA=",
  npz_stored:
    "UEsDBC0AAAAAAAAAIQAC7L2p//////////8JABQAYXJyXzAubnB5AQAQAIwAAAAAAAAAjAAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8aTQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgCgAAAAABAAAAAgAAAFBLAwQtAAAAAAAAACEAsZbYVP//////////CQAUAGFycl8xLm5weQEAEACQAAAAAAAAAJAAAAAAAAAAk05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAADwPwAAAAAAAPA/UEsBAi0DLQAAAAAAAAAhAALsvamMAAAAjAAAAAkAAAAAAAAAAAAAAIABAAAAAGFycl8wLm5weVBLAQItAy0AAAAAAAAAIQCxlthUkAAAAJAAAAAJAAAAAAAAAAAAAACAAccAAABhcnJfMS5ucHlQSwUGAAAAAAIAAgBuAAAAkgEAAAAA",
} as const;

const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

describe("parseNpy on numpy-written files", () => {
  it.each(["f32_v1", "f32_v2", "f32_v3"] as const)("reads float32 (2,3) from format %s", (key) => {
    const t = parseNpy(b64(NUMPY[key]));
    expect(t.dtype).toBe("float32");
    expect(t.dims).toEqual([2, 3]);
    expect(Array.from(t.data as Float32Array)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(parseNpyHeader(b64(NUMPY[key])).version).toBe(Number(key.slice(-1)));
  });

  it("byte-swaps big-endian float32", () => {
    const t = parseNpy(b64(NUMPY.f32_be));
    expect(Array.from(t.data as Float32Array)).toEqual([-1.5, -0.5, 0.5, 1.5]);
  });

  it("reads int64, int8, bool, float16 and 0-d arrays", () => {
    const i64 = parseNpy(b64(NUMPY.i64));
    expect(i64.dtype).toBe("int64");
    expect(Array.from(i64.data as BigInt64Array)).toEqual([-3n, 0n, 2n ** 40n]);
    expect(Array.from(parseNpy(b64(NUMPY.i8)).data as Int8Array)).toEqual([-128, 127, 0]);
    const bool = parseNpy(b64(NUMPY.bool));
    expect(bool.dtype).toBe("bool");
    expect(bool.dims).toEqual([2, 2]);
    expect(Array.from(bool.data as Uint8Array)).toEqual([1, 0, 0, 1]);
    const f16 = parseNpy(b64(NUMPY.f16));
    expect(f16.dtype).toBe("float16");
    const values = Array.from(readAsFloat64(f16));
    expect(values.slice(0, 3)).toEqual([1, -2.5, 65504]);
    expect(values[3]).toBeCloseTo(5.96e-8, 9); // numpy rounds 6e-8 to the nearest subnormal
    const scalar = parseNpy(b64(NUMPY.u8_scalar));
    expect(scalar.dims).toEqual([]);
    expect(Array.from(scalar.data as Uint8Array)).toEqual([7]);
  });

  it("refuses Fortran order, object arrays, bad magic and truncated data with clear messages", () => {
    expect(() => parseNpy(b64(NUMPY.fortran), "x.npy")).toThrow(/x\.npy .*Fortran order.*ascontiguousarray/);
    expect(() => parseNpy(b64(NUMPY.object), "x.npy")).toThrow(/Python objects/);
    expect(() => parseNpy(new TextEncoder().encode("hello world, not numpy"), "x.npy")).toThrow(/magic bytes/);
    const good = b64(NUMPY.f32_v1);
    expect(() => parseNpy(good.subarray(0, good.length - 3), "x.npy")).toThrow(/truncated: shape \(2, 3\) needs 24 bytes, the file has 21/);
    expect(() => parseNpy(good.subarray(0, 40), "x.npy")).toThrow(/header is truncated/);
    const c64 = encodeNpy({ dtype: "float32", dims: [1], data: new Float32Array(1) });
    const text = Buffer.from(c64).toString("latin1").replace("<f4", "<c8");
    expect(() => parseNpy(new Uint8Array(Buffer.from(text, "latin1")))).toThrow(/dtype '<c8' is not supported/);
  });
});

describe("encodeNpy", () => {
  it.each([1, 2, 3] as const)("round-trips through parseNpy (v%s)", (version) => {
    const t = { dtype: "int32" as const, dims: [2, 2], data: new Int32Array([1, -2, 3, -4]) };
    const bytes = encodeNpy(t, { version });
    expect((bytes.length - t.data.byteLength) % 64).toBe(0);
    const back = parseNpy(bytes);
    expect(back.dims).toEqual([2, 2]);
    expect(Array.from(back.data as Int32Array)).toEqual([1, -2, 3, -4]);
  });

  it("decodes float16 specials", () => {
    expect(decodeFloat16(0x7c00)).toBe(Infinity);
    expect(decodeFloat16(0xfc00)).toBe(-Infinity);
    expect(decodeFloat16(0x7e00)).toBeNaN();
    expect(decodeFloat16(0x0001)).toBe(2 ** -24);
  });
});

describe("openNpyFile (lazy rows)", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "npy-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads row ranges from disk and clips at the end", async () => {
    const data = new Float32Array(5 * 3).map((_, i) => i);
    const file = path.join(dir, "x.npy");
    await writeFile(file, encodeNpy({ dtype: "float32", dims: [5, 3], data }));
    const f = await openNpyFile(file);
    try {
      expect(f.header.dims).toEqual([5, 3]);
      const rows = await f.readRows(1, 2);
      expect(rows.dims).toEqual([2, 3]);
      expect(Array.from(rows.data as Float32Array)).toEqual([3, 4, 5, 6, 7, 8]);
      const tail = await f.readRows(4, 10);
      expect(tail.dims).toEqual([1, 3]);
      expect(Array.from(tail.data as Float32Array)).toEqual([12, 13, 14]);
    } finally {
      await f.close();
    }
  });

  it("refuses a file whose data is shorter than its shape", async () => {
    const file = path.join(dir, "short.npy");
    const bytes = encodeNpy({ dtype: "float32", dims: [4], data: new Float32Array(4) });
    await writeFile(file, bytes.subarray(0, bytes.length - 4));
    await expect(openNpyFile(file, "short.npy")).rejects.toThrow(/short\.npy .*truncated/);
  });
});

describe("openNpz", () => {
  it("reads numpy savez_compressed (deflated, zip64 headers)", () => {
    const z = openNpz(b64(NUMPY.npz_deflated));
    expect(z.names).toEqual(["input", "labels"]);
    const input = z.readArray("input");
    expect(input.dims).toEqual([2, 2]);
    expect(Array.from(input.data as Float32Array)).toEqual([0, 1, 2, 3]);
    expect(Array.from(z.readArray("labels").data as BigInt64Array)).toEqual([1n, 0n]);
  });

  it("reads numpy savez (stored) with positional names", () => {
    const z = openNpz(b64(NUMPY.npz_stored));
    expect(z.names).toEqual(["arr_0", "arr_1"]);
    expect(Array.from(z.readArray("arr_0").data as Int32Array)).toEqual([0, 1, 2]);
    const a1 = z.readArray("arr_1");
    expect(a1.dtype).toBe("float64");
    expect(a1.dims).toEqual([1, 2]);
  });

  it("round-trips encodeNpz, stored and deflated", () => {
    for (const compress of [true, false]) {
      const z = openNpz(encodeNpz({ a: { dtype: "uint8", dims: [3], data: new Uint8Array([1, 2, 3]) } }, { compress }));
      expect(Array.from(z.readArray("a").data as Uint8Array)).toEqual([1, 2, 3]);
    }
  });

  it("refuses non-zip bytes, empty archives and unknown names", () => {
    expect(() => openNpz(new TextEncoder().encode("not a zip at all"), "d.npz")).toThrow(/d\.npz is not a valid \.npz/);
    const z = openNpz(b64(NUMPY.npz_stored), "d.npz");
    expect(() => z.readArray("missing")).toThrow(/d\.npz has no array named 'missing'/);
  });
});
