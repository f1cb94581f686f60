/**
 * Validates an ONNX upload and summarises it while streaming, without buffering the file: only the model's
 * top-level fields, the graph's small fields (nodes, inputs, outputs, names) are held; initializer payloads
 * (the weights, possibly GBs) are skipped as they stream past.
 */
import { AppError } from "../../contracts/app-error";
import { ProtobufError, ProtobufReader, WIRE } from "./protobuf-reader";
import { NODE, OPERATOR_SET_ID, VALUE_INFO, decodeMessage, type TOperatorSetIdProto, type TValueInfoProto } from "./onnx-proto";
import { MAX_PLAUSIBLE_MODEL_FIELD, describeNonOnnxSignature, toModelDecodeError, validateModelShape } from "./model-io";
import { toTensorInfo, type TOnnxSummary } from "./tensor-info";

export type { TOnnxSummary } from "./tensor-info";

/** Nodes larger than this (Constant nodes carrying big weights) are skipped instead of decoded. */
const MAX_DECODED_NODE_BYTES = 16 * 1024 * 1024;
/** Small fields we read into memory (names, value infos, opsets) may not exceed this. */
const MAX_SMALL_FIELD_BYTES = 16 * 1024 * 1024;

/** Pull-based byte reader over an async chunk source, tracking the absolute offset. */
class StreamCursor {
  private it: AsyncIterator<Uint8Array>;
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** Absolute offset of the next unread byte. */
  offset = 0;
  /** Bytes received from the source so far. */
  received = 0;
  private done = false;
  head: Uint8Array = new Uint8Array(0);

  constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly maxBytes: number,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    if (this.done) return false;
    for (;;) {
      const next = await this.it.next();
      if (next.done) {
        this.done = true;
        return false;
      }
      const chunk = next.value;
      if (chunk.length === 0) continue;
      this.received += chunk.length;
      if (this.received > this.maxBytes) {
        await this.it.return?.();
        throw new AppError("PAYLOAD_TOO_LARGE", {
          userMessage: `the model is larger than the limit of ${this.maxBytes} bytes`,
        });
      }
      if (this.head.length < 16) {
        const h = new Uint8Array(Math.min(16, this.head.length + chunk.length));
        h.set(this.head);
        h.set(chunk.subarray(0, h.length - this.head.length), this.head.length);
        this.head = h;
      }
      // Only called once the current chunk is used up, so the new chunk simply replaces it: no copying.
      this.buf = chunk;
      this.pos = 0;
      return true;
    }
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    if (this.pos < this.buf.length) return false;
    return !(await this.pull());
  }

  private truncated(what: string): never {
    throw new ProtobufError("truncated", this.offset, `${what} at byte ${this.offset} runs past the end of the file`);
  }

  async byte(): Promise<number> {
    if (this.pos >= this.buf.length && !(await this.pull())) this.truncated("a value");
    this.offset++;
    return this.buf[this.pos++];
  }

  /** Varint as a number (must be a safe integer: lengths, tags, small ints). */
  async varint(): Promise<number> {
    const at = this.offset;
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = await this.byte();
      value += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) throw new ProtobufError("malformed", at, `integer at byte ${at} is too large`);
        return value;
      }
    }
    throw new ProtobufError("malformed", at, `varint at byte ${at} is longer than 10 bytes`);
  }

  /** Reads `n` bytes into memory (small fields only), copying each byte once. */
  async bytes(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const avail = this.buf.length - this.pos;
      if (avail === 0) {
        if (!(await this.pull())) this.truncated(`a field of ${n} bytes`);
        continue;
      }
      const take = Math.min(avail, n - filled);
      out.set(this.buf.subarray(this.pos, this.pos + take), filled);
      this.pos += take;
      this.offset += take;
      filled += take;
    }
    return out;
  }

  /** Discards `n` bytes without holding them. */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const avail = this.buf.length - this.pos;
      if (avail === 0) {
        if (!(await this.pull())) this.truncated(`a field of ${n} bytes`);
        continue;
      }
      const take = Math.min(avail, left);
      this.pos += take;
      this.offset += take;
      left -= take;
    }
    if (this.pos === this.buf.length) {
      this.buf = new Uint8Array(0);
      this.pos = 0;
    }
  }

  async skipValue(wireType: number): Promise<void> {
    switch (wireType) {
      case WIRE.VARINT:
        await this.varint64Skip();
        return;
      case WIRE.FIXED64:
        return this.skip(8);
      case WIRE.FIXED32:
        return this.skip(4);
      case WIRE.LDELIM:
        return this.skip(await this.varint());
      default:
        throw new ProtobufError("malformed", this.offset, `invalid wire type ${wireType} at byte ${this.offset}`);
    }
  }

  private async varint64Skip(): Promise<void> {
    const at = this.offset;
    for (let i = 0; i < 10; i++) if (((await this.byte()) & 0x80) === 0) return;
    throw new ProtobufError("malformed", at, `varint at byte ${at} is longer than 10 bytes`);
  }

  async tag(): Promise<{ fieldNo: number; wireType: number; at: number }> {
    const at = this.offset;
    const tag = await this.varint();
    const fieldNo = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (fieldNo === 0) throw new ProtobufError("malformed", at, `invalid field number 0 at byte ${at}`);
    if (wireType === WIRE.START_GROUP || wireType === WIRE.END_GROUP || wireType > 5) {
      throw new ProtobufError("malformed", at, `invalid wire type ${wireType} at byte ${at}`);
    }
    return { fieldNo, wireType, at };
  }
}

function expectWire(actual: number, expected: number, at: number, what: string): void {
  if (actual !== expected) throw new ProtobufError("malformed", at, `${what} at byte ${at} has wire type ${actual}`);
}

async function readLength(c: StreamCursor, end: number | undefined): Promise<number> {
  const at = c.offset;
  const n = await c.varint();
  if (end !== undefined && c.offset + n > end) {
    throw new ProtobufError("malformed", at, `a field at byte ${at} declares ${n} bytes, past the end of its message`);
  }
  return n;
}

async function readSmall(c: StreamCursor, end: number | undefined): Promise<Uint8Array> {
  const n = await readLength(c, end);
  if (n > MAX_SMALL_FIELD_BYTES) {
    throw new ProtobufError("malformed", c.offset, `a metadata field declares ${n} bytes, more than a model needs`);
  }
  return c.bytes(n);
}

/** Reads the `name` (field 8) of a TensorProto of `len` bytes, skipping its data fields. */
async function readTensorName(c: StreamCursor, len: number): Promise<string> {
  const end = c.offset + len;
  let name = "";
  while (c.offset < end) {
    const { fieldNo, wireType, at } = await c.tag();
    if (fieldNo === 8) {
      expectWire(wireType, WIRE.LDELIM, at, "tensor name");
      name = new TextDecoder().decode(await readSmall(c, end));
    } else if (wireType === WIRE.LDELIM) await c.skip(await readLength(c, end));
    else await c.skipValue(wireType);
  }
  if (c.offset !== end) throw new ProtobufError("malformed", c.offset, `a tensor at byte ${end - len} overruns its length`);
  return name;
}

/** Reads the name of a SparseTensorProto's `values` tensor. */
async function readSparseTensorName(c: StreamCursor, len: number): Promise<string> {
  const end = c.offset + len;
  let name = "";
  while (c.offset < end) {
    const { fieldNo, wireType } = await c.tag();
    if (fieldNo === 1 && wireType === WIRE.LDELIM) name = await readTensorName(c, await readLength(c, end));
    else if (wireType === WIRE.LDELIM) await c.skip(await readLength(c, end));
    else await c.skipValue(wireType);
  }
  return name;
}

function decodeSmall<T>(bytes: Uint8Array, desc: Parameters<typeof decodeMessage>[1]): T {
  return decodeMessage(new ProtobufReader(bytes), desc) as T;
}

type TGraphScan = {
  name: string;
  inputs: TValueInfoProto[];
  outputs: TValueInfoProto[];
  nodeCount: number;
  initializerNames: string[];
};

async function scanGraph(c: StreamCursor, len: number): Promise<TGraphScan> {
  const end = c.offset + len;
  const scan: TGraphScan = { name: "", inputs: [], outputs: [], nodeCount: 0, initializerNames: [] };
  while (c.offset < end) {
    const { fieldNo, wireType, at } = await c.tag();
    switch (fieldNo) {
      case 1: {
        expectWire(wireType, WIRE.LDELIM, at, "node");
        scan.nodeCount++;
        const n = await readLength(c, end);
        // Decode ordinary nodes to validate them; Constant nodes holding big weights are only skipped.
        if (n <= MAX_DECODED_NODE_BYTES) decodeSmall(await c.bytes(n), NODE);
        else await c.skip(n);
        break;
      }
      case 2:
        expectWire(wireType, WIRE.LDELIM, at, "graph name");
        scan.name = new TextDecoder().decode(await readSmall(c, end));
        break;
      case 5:
        expectWire(wireType, WIRE.LDELIM, at, "initializer");
        scan.initializerNames.push(await readTensorName(c, await readLength(c, end)));
        break;
      case 15:
        expectWire(wireType, WIRE.LDELIM, at, "sparse initializer");
        scan.initializerNames.push(await readSparseTensorName(c, await readLength(c, end)));
        break;
      case 11:
      case 12: {
        expectWire(wireType, WIRE.LDELIM, at, fieldNo === 11 ? "graph input" : "graph output");
        const v = decodeSmall<TValueInfoProto>(await readSmall(c, end), VALUE_INFO);
        (fieldNo === 11 ? scan.inputs : scan.outputs).push(v);
        break;
      }
      default:
        if (wireType === WIRE.LDELIM) await c.skip(await readLength(c, end));
        else await c.skipValue(wireType);
    }
  }
  if (c.offset !== end) throw new ProtobufError("malformed", c.offset, "the graph overruns its declared length");
  return scan;
}

/**
 * Streams over a (possibly multi-GB) ONNX file, validating its structure and returning its summary, holding only
 * small fields in memory. Errors are AppErrors with a user message: empty file, not ONNX (PNG, zip, text, ...),
 * truncated (UNPROCESSABLE); more than `maxBytes` (PAYLOAD_TOO_LARGE, raised as soon as the limit is crossed).
 */
export async function inspectOnnxStream(
  source: AsyncIterable<Uint8Array>,
  opts: { maxBytes: number },
): Promise<TOnnxSummary> {
  const c = new StreamCursor(source, opts.maxBytes);
  if (await c.atEnd()) throw new AppError("UNPROCESSABLE", { userMessage: "the model is empty (0 bytes)" });
  const early = describeNonOnnxSignature(c.head);
  if (early && c.head.length >= 8) {
    throw new AppError("UNPROCESSABLE", { userMessage: `the file is not an ONNX model: ${early}` });
  }
  let irVersion: number | undefined;
  let producerName = "";
  let producerVersion = "";
  const opsets: TOperatorSetIdProto[] = [];
  let graph: TGraphScan | undefined;
  const unknownFieldNumbers: number[] = [];
  try {
    while (!(await c.atEnd())) {
      const { fieldNo, wireType, at } = await c.tag();
      if (fieldNo > MAX_PLAUSIBLE_MODEL_FIELD) {
        unknownFieldNumbers.push(fieldNo);
        break; // not ONNX: validateModelShape below says so without reading the rest
      }
      switch (fieldNo) {
        case 1:
          expectWire(wireType, WIRE.VARINT, at, "ir_version");
          irVersion = await c.varint();
          break;
        case 2:
        case 3: {
          expectWire(wireType, WIRE.LDELIM, at, "producer");
          const s = new TextDecoder().decode(await readSmall(c, undefined));
          if (fieldNo === 2) producerName = s;
          else producerVersion = s;
          break;
        }
        case 7:
          expectWire(wireType, WIRE.LDELIM, at, "graph");
          graph = await scanGraph(c, await c.varint());
          break;
        case 8:
          expectWire(wireType, WIRE.LDELIM, at, "opset_import");
          opsets.push(decodeSmall<TOperatorSetIdProto>(await readSmall(c, undefined), OPERATOR_SET_ID));
          break;
        default:
          await c.skipValue(wireType);
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw toModelDecodeError(err, c.head);
  }
  validateModelShape({ graph, opsetImport: opsets, irVersion, unknownFieldNumbers }, c.head);
  const g = graph!;
  const inits = new Set(g.initializerNames);
  return {
    irVersion: irVersion ?? 0,
    producerName,
    producerVersion,
    opsets: opsets.map((o) => ({ domain: o.domain ?? "", version: o.version ?? 0 })),
    graphName: g.name,
    inputs: g.inputs.filter((i) => !inits.has(i.name ?? "")).map(toTensorInfo),
    outputs: g.outputs.map(toTensorInfo),
    nodeCount: g.nodeCount,
    initializerCount: g.initializerNames.length,
  };
}

/** Adapts a Node readable (fs.createReadStream, S3 Body) or any async iterable of Buffers to Uint8Array chunks. */
export async function* toUint8Chunks(source: AsyncIterable<Uint8Array | string>): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    yield typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
  }
}
