/**
 * Protobuf wire-format writer. Large byte fields (tensor raw_data) are referenced, not copied, until `finish()`,
 * and nested message lengths are patched through placeholders, so encoding a model copies each weight byte once.
 */
import { WIRE } from "./protobuf-reader";

const SCRATCH_BYTES = 64 * 1024;
/** Byte fields at least this long are kept by reference instead of being copied into the scratch buffer. */
const BY_REFERENCE_BYTES = 1024;

const TEXT_ENCODER = new TextEncoder();

export class ProtobufWriter {
  private parts: (Uint8Array | null)[] = [];
  private scratch = new Uint8Array(SCRATCH_BYTES);
  private view = new DataView(this.scratch.buffer);
  private pos = 0;
  /** Bytes held in `parts` (placeholders count once filled). */
  private flushed = 0;
  private forks: { partIndex: number; sizeAtFork: number; fieldNo: number }[] = [];

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.scratch.length) return;
    this.flushScratch();
    if (n > this.scratch.length) {
      this.scratch = new Uint8Array(n);
      this.view = new DataView(this.scratch.buffer);
    }
  }

  private flushScratch(): void {
    if (this.pos === 0) return;
    this.parts.push(this.scratch.slice(0, this.pos));
    this.flushed += this.pos;
    this.pos = 0;
  }

  /** Unsigned varint from a non-negative safe integer. */
  uint(value: number): this {
    if (value < 0 || !Number.isSafeInteger(value)) throw new Error(`cannot write ${value} as an unsigned varint`);
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.scratch[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.scratch[this.pos++] = v;
    return this;
  }

  /** Signed 64-bit varint (two's complement, 10 bytes when negative). */
  int64(value: bigint | number): this {
    if (typeof value === "number") {
      if (value >= 0) return this.uint(value);
      value = BigInt(value);
    }
    let v = BigInt.asUintN(64, value);
    if (v < 0x20000000000000n) return this.uint(Number(v));
    this.ensure(10);
    while (v >= 0x80n) {
      this.scratch[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.scratch[this.pos++] = Number(v);
    return this;
  }

  /** int32 fields are sign-extended to 64 bits on the wire. */
  int32(value: number): this {
    return value >= 0 ? this.uint(value) : this.int64(BigInt(value | 0));
  }

  uint64(value: bigint): this {
    return this.int64(BigInt.asIntN(64, value));
  }

  tag(fieldNo: number, wireType: number): this {
    return this.uint(fieldNo * 8 + wireType);
  }

  float(value: number): this {
    this.ensure(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
    return this;
  }

  double(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  fixed32(value: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
    return this;
  }

  fixed64(value: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, value), true);
    this.pos += 8;
    return this;
  }

  /** Appends bytes verbatim (no length prefix). Large arrays are referenced, not copied. */
  raw(bytes: Uint8Array): this {
    if (bytes.length >= BY_REFERENCE_BYTES) {
      this.flushScratch();
      this.parts.push(bytes);
      this.flushed += bytes.length;
      return this;
    }
    this.ensure(bytes.length);
    this.scratch.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** Length-delimited bytes. */
  bytes(bytes: Uint8Array): this {
    this.uint(bytes.length);
    return this.raw(bytes);
  }

  string(value: string): this {
    return this.bytes(TEXT_ENCODER.encode(value));
  }

  /** Starts a nested message of field `fieldNo`; close it with `ldelim()`. */
  fork(fieldNo: number): this {
    this.flushScratch();
    this.forks.push({ partIndex: this.parts.length, sizeAtFork: this.flushed, fieldNo });
    // Placeholder for the tag + length header, filled by ldelim once the size is known.
    this.parts.push(null);
    return this;
  }

  /** Ends the nested message started by the matching `fork()` and writes its header in the placeholder. */
  ldelim(): this {
    const fork = this.forks.pop();
    if (!fork) throw new Error("ldelim without fork");
    const size = this.length - fork.sizeAtFork;
    const header = encodeHeader(fork.fieldNo * 8 + WIRE.LDELIM, size);
    this.parts[fork.partIndex] = header;
    this.flushed += header.length;
    return this;
  }

  /** The encoded parts without concatenating them (for streaming a large model to a file). */
  finishParts(): Uint8Array[] {
    if (this.forks.length > 0) throw new Error("unterminated fork");
    this.flushScratch();
    return this.parts.filter((p): p is Uint8Array => p !== null);
  }

  /** The encoded bytes in one buffer. */
  finish(): Uint8Array {
    const parts = this.finishParts();
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(this.flushed);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** Tag varint followed by length varint, in a right-sized buffer. */
function encodeHeader(tag: number, size: number): Uint8Array {
  const tmp: number[] = [];
  for (const value of [tag, size]) {
    let v = value;
    while (v >= 0x80) {
      tmp.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    tmp.push(v);
  }
  return Uint8Array.from(tmp);
}
