import { describe, expect, test } from "vitest";
import { ProtobufError, ProtobufReader, WIRE, readTag } from "./protobuf-reader";
import { ProtobufWriter } from "./protobuf-writer";

describe("protobuf wire format", () => {
  test("int64 varints round trip across the whole range, negatives as 10 bytes", () => {
    const values = [0n, 1n, 127n, 128n, 300n, 2n ** 31n, 2n ** 32n + 5n, 2n ** 53n + 1n, 2n ** 63n - 1n, -1n, -(2n ** 63n), -300n];
    const w = new ProtobufWriter();
    for (const v of values) w.int64(v);
    const bytes = w.finish();
    const r = new ProtobufReader(bytes);
    expect(values.map(() => r.int64())).toEqual(values);
    expect(r.remaining()).toBe(0);
    expect(new ProtobufWriter().int64(-1n).finish().length).toBe(10);
  });

  test("negative int32 is sign-extended and reads back", () => {
    const bytes = new ProtobufWriter().int32(-5).finish();
    expect(bytes.length).toBe(10);
    expect(new ProtobufReader(bytes).int32()).toBe(-5);
  });

  test("uint64 beyond 2^63 and fixed-width values", () => {
    const w = new ProtobufWriter().uint64(2n ** 64n - 1n).fixed32(0xdeadbeef).fixed64(2n ** 60n + 7n).float(1.5).double(-2.25);
    const r = new ProtobufReader(w.finish());
    expect(r.uint64()).toBe(2n ** 64n - 1n);
    expect(r.fixed32()).toBe(0xdeadbeef);
    expect(r.fixed64()).toBe(2n ** 60n + 7n);
    expect(r.float()).toBe(1.5);
    expect(r.double()).toBe(-2.25);
  });

  test("int64Number refuses values past 2^53 instead of rounding", () => {
    const bytes = new ProtobufWriter().int64(2n ** 60n).finish();
    expect(() => new ProtobufReader(bytes).int64Number()).toThrow(/too large/);
  });

  test("nested messages get correct length prefixes (fork/ldelim, large byte fields by reference)", () => {
    const big = new Uint8Array(5000).map((_, i) => i % 251);
    const w = new ProtobufWriter();
    w.fork(1);
    w.tag(2, WIRE.LDELIM).bytes(big);
    w.fork(3).tag(4, WIRE.VARINT).uint(7).ldelim();
    w.ldelim();
    const r = new ProtobufReader(w.finish());
    expect(readTag(r)).toEqual({ fieldNo: 1, wireType: WIRE.LDELIM });
    r.nested((inner) => {
      expect(readTag(inner).fieldNo).toBe(2);
      const got = inner.bytes();
      expect(Buffer.from(got).equals(Buffer.from(big))).toBe(true);
      expect(readTag(inner).fieldNo).toBe(3);
      inner.nested((deep) => {
        expect(readTag(deep)).toEqual({ fieldNo: 4, wireType: WIRE.VARINT });
        expect(deep.uint32()).toBe(7);
      });
    });
    expect(r.remaining()).toBe(0);
  });

  test("a declared length larger than the buffer is a truncation error, not an allocation", () => {
    const bytes = new ProtobufWriter().tag(1, WIRE.LDELIM).uint(2 ** 31).finish();
    const r = new ProtobufReader(bytes);
    readTag(r);
    const err = (() => {
      try {
        r.bytes();
      } catch (e) {
        return e as ProtobufError;
      }
    })();
    expect(err).toBeInstanceOf(ProtobufError);
    expect(err?.kind).toBe("truncated");
    expect(err?.message).toMatch(/declares 2147483648 bytes but only 0 remain/);
  });

  test("varints cut off or longer than 10 bytes are rejected", () => {
    expect(() => new ProtobufReader(Uint8Array.of(0x80, 0x80)).int64()).toThrow(/runs past the end/);
    expect(() => new ProtobufReader(new Uint8Array(11).fill(0x80)).int64()).toThrow(/longer than 10 bytes/);
  });

  test("group wire types and field number 0 are malformed", () => {
    expect(() => readTag(new ProtobufReader(Uint8Array.of((1 << 3) | 3)))).toThrow(/wire type 3/);
    expect(() => readTag(new ProtobufReader(Uint8Array.of(0)))).toThrow(/field number 0/);
  });
});
