/**
 * Protobuf wire-format reader over one Uint8Array. Defensive by design: models come from users, so every declared
 * length is checked against the bytes that remain and nesting depth is bounded. `bytes()` returns zero-copy views.
 */

/** Protobuf wire types. Groups (3, 4) are deprecated and never used by ONNX: they are rejected as malformed. */
export const WIRE = { VARINT: 0, FIXED64: 1, LDELIM: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

/** Largest nesting of messages we follow; real ONNX models nest graphs a handful of levels deep. */
export const MAX_NESTING_DEPTH = 100;

/** A low-level decoding failure; `kind` lets callers turn it into a message a user understands. */
export class ProtobufError extends Error {
  readonly kind: "truncated" | "malformed" | "too-deep";
  readonly offset: number;
  constructor(kind: "truncated" | "malformed" | "too-deep", offset: number, message: string) {
    super(message);
    this.name = "ProtobufError";
    this.kind = kind;
    this.offset = offset;
  }
}

const TWO_POW_32 = 4294967296;

/** Reads protobuf wire format from `buf[pos, end)`. */
export class ProtobufReader {
  readonly buf: Uint8Array;
  pos: number;
  end: number;
  depth = 0;
  private view: DataView;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Bytes left before the end of the current message. */
  remaining(): number {
    return this.end - this.pos;
  }

  /** Reads a varint into its low and high 32-bit halves (unsigned). */
  varint64(): { lo: number; hi: number } {
    let lo = 0;
    let hi = 0;
    const start = this.pos;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError("truncated", start, `varint at byte ${start} runs past the end`);
      const b = this.buf[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << shift;
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (3 + 7 * (i - 5));
      shift += 7;
      if ((b & 0x80) === 0) return { lo: lo >>> 0, hi: hi >>> 0 };
    }
    throw new ProtobufError("malformed", start, `varint at byte ${start} is longer than 10 bytes`);
  }

  /** Reads a varint that must fit in 32 bits unsigned (tags, lengths). */
  uint32(): number {
    // Fast path for the common 1-2 byte case.
    if (this.pos < this.end) {
      const b = this.buf[this.pos];
      if (b < 0x80) {
        this.pos++;
        return b;
      }
    }
    const start = this.pos;
    const { lo, hi } = this.varint64();
    if (hi !== 0) throw new ProtobufError("malformed", start, `value at byte ${start} does not fit in 32 bits`);
    return lo;
  }

  /** int32 field: negative values are sign-extended 10-byte varints, so take the low 32 bits as signed. */
  int32(): number {
    return this.varint64().lo | 0;
  }

  /** int64 field as a JS number; throws when it is outside the safe integer range. */
  int64Number(): number {
    const start = this.pos;
    const { lo, hi } = this.varint64();
    const value = (hi | 0) * TWO_POW_32 + lo;
    if (!Number.isSafeInteger(value)) {
      throw new ProtobufError("malformed", start, `integer at byte ${start} is too large (${this.int64FromParts(lo, hi)})`);
    }
    return value;
  }

  /** int64 field as a bigint (exact). */
  int64(): bigint {
    const { lo, hi } = this.varint64();
    return this.int64FromParts(lo, hi);
  }

  /** uint64 field as a bigint (exact). */
  uint64(): bigint {
    const { lo, hi } = this.varint64();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  private int64FromParts(lo: number, hi: number): bigint {
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new ProtobufError(
        "truncated",
        this.pos,
        `${what} at byte ${this.pos} needs ${n} bytes but only ${this.end - this.pos} remain`,
      );
    }
  }

  fixed32(): number {
    this.need(4, "fixed32");
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  float(): number {
    this.need(4, "float");
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8, "double");
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  fixed64(): bigint {
    this.need(8, "fixed64");
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix and checks it against the remaining bytes. */
  length(): number {
    const at = this.pos;
    const n = this.uint32();
    if (n > this.end - this.pos) {
      throw new ProtobufError(
        "truncated",
        at,
        `a field at byte ${at} declares ${n} bytes but only ${this.end - this.pos} remain`,
      );
    }
    return n;
  }

  /** Length-delimited bytes as a zero-copy view into the input buffer. */
  bytes(): Uint8Array {
    const n = this.length();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    return TEXT_DECODER.decode(this.bytes());
  }

  /** Skips one field's value of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE.VARINT:
        this.varint64();
        return;
      case WIRE.FIXED64:
        this.need(8, "fixed64");
        this.pos += 8;
        return;
      case WIRE.LDELIM: {
        const n = this.length();
        this.pos += n;
        return;
      }
      case WIRE.FIXED32:
        this.need(4, "fixed32");
        this.pos += 4;
        return;
      default:
        throw new ProtobufError("malformed", this.pos, `invalid wire type ${wireType} at byte ${this.pos}`);
    }
  }

  /**
   * Runs `fn` on a sub-reader window of `length` bytes (a nested message) with depth accounting,
   * then moves past it.
   */
  nested<T>(fn: (r: ProtobufReader) => T): T {
    const n = this.length();
    if (this.depth + 1 > MAX_NESTING_DEPTH) {
      throw new ProtobufError("too-deep", this.pos, `messages nest deeper than ${MAX_NESTING_DEPTH} levels`);
    }
    const savedEnd = this.end;
    this.end = this.pos + n;
    this.depth++;
    try {
      const out = fn(this);
      this.pos = this.end;
      return out;
    } finally {
      this.depth--;
      this.end = savedEnd;
    }
  }
}

const TEXT_DECODER = new TextDecoder("utf-8");

/** Reads a tag; returns field number and wire type. Field number 0 is invalid protobuf. */
export function readTag(r: ProtobufReader): { fieldNo: number; wireType: number } {
  const at = r.pos;
  const tag = r.uint32();
  const fieldNo = tag >>> 3;
  const wireType = tag & 7;
  if (fieldNo === 0) throw new ProtobufError("malformed", at, `invalid field number 0 at byte ${at}`);
  if (wireType === WIRE.START_GROUP || wireType === WIRE.END_GROUP || wireType > 5) {
    throw new ProtobufError("malformed", at, `invalid wire type ${wireType} at byte ${at}`);
  }
  return { fieldNo, wireType };
}
